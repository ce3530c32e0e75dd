package dev.culvert.daemon;

import dev.culvert.protocol.Engine;
import dev.culvert.protocol.netty.ChannelOutbound;
import dev.culvert.protocol.netty.DatagramEngineHandler;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The UDP socket every tunnel's WireGuard messages use: one epoll datagram channel on the daemon's
 * event loop, reading many datagrams per recvmmsg and writing many per sendmmsg (writes are flushed
 * once per batch by the engine adapter).
 */
final class UdpTransport implements AutoCloseable {
    /** How many maximum-size datagrams one read buffer holds: the recvmmsg batch. */
    private static final int DATAGRAMS_PER_READ = 32;
    private static final int SOCKET_BUFFER_BYTES = 4 << 20;

    private final Channel channel;
    private final DatagramEngineHandler handler;

    private UdpTransport(Channel channel, DatagramEngineHandler handler) {
        this.channel = channel;
        this.handler = handler;
    }

    /**
     * Binds to {@code local} on {@code loop}.
     *
     * @param maxDatagram the largest datagram expected (device MTU + WireGuard overhead)
     */
    static UdpTransport bind(IoEventLoop loop, InetSocketAddress local, int maxDatagram, Engine engine,
                             ChannelOutbound outbound) throws IOException {
        DatagramEngineHandler handler = new DatagramEngineHandler(engine, outbound);
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(EpollDatagramChannel.class)
                .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER_BYTES)
                .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER_BYTES)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 4 << 20))
                .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, maxDatagram)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(maxDatagram * DATAGRAMS_PER_READ))
                .handler(handler);
        ChannelFuture bound = bootstrap.bind(local).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            throw new IOException("cannot listen on udp " + Addresses.format(local) + ": "
                    + (cause.getMessage() != null ? cause.getMessage() : cause.toString()), cause);
        }
        return new UdpTransport(bound.channel(), handler);
    }

    InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    long socketErrors() {
        return handler.socketErrors();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
    }
}
