package dev.culvert.protocol.pipeline;

import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.InboundSink;
import dev.culvert.protocol.Peer;
import dev.culvert.protocol.transport.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;

/**
 * Encryption: a thin handler over the sans-IO WireGuard {@link Peer}, the way Netty's {@code SslHandler}
 * sits over {@code SSLEngine}. The last data handler of a tunnel's pipeline, next to the transport.
 *
 * <pre>
 * device read  → channelRead(payload) → Peer.send: seal in place → Transport (queued)
 *                channelReadComplete  → Transport.flush (one sendmmsg / writev per device read burst)
 * transport    → Peer → deliver(plaintext) → ctx.write towards the device (not flushed)
 *                end of the transport's read burst → flush() → the device writes the burst
 * </pre>
 *
 * <p>Back-pressure (the Netty proxy idiom): while the transport cannot take more for the peer's endpoint,
 * the device's auto-read is off; while the device cannot take more writes, the transport's reads are
 * paused. Nothing queues without bound. Event loop only; the transport's loop must be the device's.
 */
public final class WireGuardHandler extends ChannelDuplexHandler implements InboundSink {
    private final Transport transport;
    private final Runnable writabilityListener = this::transportWritabilityChanged;
    private Peer peer;
    private ChannelHandlerContext ctx;
    private boolean pausingTransport;

    public WireGuardHandler(Transport transport) {
        this.transport = transport;
    }

    /** Binds the peer this handler feeds; the peer's sink must be this handler. Before the first packet. */
    public void attach(Peer peer) {
        this.peer = peer;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        transport.addWritabilityListener(writabilityListener);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        transport.removeWritabilityListener(writabilityListener);
        if (pausingTransport) {
            pausingTransport = false;
            transport.resumeReads(this);
        }
        if (peer != null) {
            transport.engine().removePeer(peer);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf payload) {
            peer.send(payload);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        transport.flush();
        if (!transport.isWritable(peer.endpoint())) {
            ctx.channel().config().setAutoRead(false);
        }
        ctx.fireChannelReadComplete();
    }

    /** The transport's writability changed: read the device again once the peer's path drains. */
    private void transportWritabilityChanged() {
        boolean writable = transport.isWritable(peer.endpoint());
        if (ctx.channel().config().isAutoRead() != writable) {
            ctx.channel().config().setAutoRead(writable);
        }
    }

    /** The device's writability changed: pause the transport's reads while the device is full. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        boolean full = !ctx.channel().isWritable();
        if (full != pausingTransport) {
            pausingTransport = full;
            if (full) {
                transport.pauseReads(this);
            } else {
                transport.resumeReads(this);
            }
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void deliver(ByteBuf payload) {
        ctx.write(payload, ctx.voidPromise());
    }

    @Override
    public void flush() {
        ctx.flush();
    }

    /** A write the device refused after it was queued (closed device): counted, never fatal. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (peer != null) {
            peer.counters().drop(DropReason.DEVICE_ERROR);
        }
    }
}
