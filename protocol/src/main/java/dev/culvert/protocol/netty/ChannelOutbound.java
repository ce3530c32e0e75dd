package dev.culvert.protocol.netty;

import dev.culvert.protocol.Outbound;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;

import java.net.InetSocketAddress;

/**
 * The engine's {@link Outbound} over a datagram channel: each datagram is written, not flushed; the
 * adapter flushes once per batch (end of a socket read burst, of a device read burst, of a tick), so
 * the epoll transport hands the kernel many datagrams per sendmmsg call.
 */
public final class ChannelOutbound implements Outbound {
    private Channel channel;
    private long dropped;

    /** Binds to the channel the engine's datagrams go out on. Called once the channel exists. */
    public void attach(Channel channel) {
        this.channel = channel;
    }

    @Override
    public boolean send(ByteBuf datagram, InetSocketAddress to) {
        Channel ch = channel;
        if (ch == null || !ch.isActive() || to == null || to.isUnresolved()) {
            dropped++;
            datagram.release();
            return false;
        }
        ch.write(new DatagramPacket(datagram, to), ch.voidPromise());
        return true;
    }

    /** Flushes what {@link #send} queued. */
    @Override
    public void flush() {
        Channel ch = channel;
        if (ch != null) {
            ch.flush();
        }
    }

    /** Datagrams dropped because the channel was not there. */
    public long dropped() {
        return dropped;
    }
}
