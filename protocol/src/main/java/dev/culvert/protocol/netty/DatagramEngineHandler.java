package dev.culvert.protocol.netty;

import dev.culvert.protocol.Engine;
import dev.culvert.protocol.Limits;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * Adapts a datagram channel to the {@link Engine}: every received datagram goes to
 * {@link Engine#receive} (which owns and releases it, decrypting in place), the engine's housekeeping
 * ticks on the channel's event loop, and after each read burst the devices that received something
 * are flushed ({@link Engine#flushDelivered}) and then whatever the engine queued (handshake replies).
 * The engine must only ever be touched from this channel's event loop.
 */
public final class DatagramEngineHandler extends ChannelInboundHandlerAdapter {
    private static final System.Logger LOG = System.getLogger(DatagramEngineHandler.class.getName());

    private final Engine engine;
    private final ChannelOutbound outbound;
    private final Runnable writabilityChanged;
    /** The engine's own socket (ticks, sends); false for a further socket that only receives for it. */
    private final boolean sender;
    private ScheduledFuture<?> ticker;
    private long socketErrors;

    /** @param writabilityChanged run on the loop when the channel's writability changes */
    public DatagramEngineHandler(Engine engine, ChannelOutbound outbound, Runnable writabilityChanged) {
        this(engine, outbound, writabilityChanged, true);
    }

    private DatagramEngineHandler(Engine engine, ChannelOutbound outbound, Runnable writabilityChanged,
                                  boolean sender) {
        this.engine = engine;
        this.outbound = outbound;
        this.writabilityChanged = writabilityChanged;
        this.sender = sender;
    }

    /**
     * A handler for a further socket that only receives for an engine whose own socket has the handler made by the
     * constructor (a peer's connected socket, on the same event loop): what it reads goes to the same
     * {@link Engine#receive}; it neither ticks the engine nor sends, and after a read burst flushes the delivering
     * devices and {@code outbound} (the engine's own socket).
     */
    public static DatagramEngineHandler receiveOnly(Engine engine, ChannelOutbound outbound) {
        return new DatagramEngineHandler(engine, outbound, () -> { }, false);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (!sender) {
            return;
        }
        outbound.attach(ctx.channel());
        ticker = ctx.executor().scheduleAtFixedRate(() -> {
            engine.tick();
            outbound.flush();
        }, Limits.TICK_NANOS, Limits.TICK_NANOS, TimeUnit.NANOSECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (ticker != null) {
            ticker.cancel(false);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof DatagramPacket packet) {
            engine.receive(packet.content(), packet.sender());
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        engine.flushDelivered();
        if (sender) {
            ctx.flush();
        } else {
            outbound.flush();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        writabilityChanged.run();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // ICMP errors (port unreachable, no route) surface here on a connected or sending socket:
        // a peer that is away is normal, so count and keep going; never close the shared socket.
        socketErrors++;
        LOG.log(System.Logger.Level.DEBUG, "socket error: {0}", cause.toString());
    }

    /** Errors the socket reported (unreachable peers and the like). */
    public long socketErrors() {
        return socketErrors;
    }
}
