package dev.culvert.protocol.netty;

import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.Engine;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One TCP connection's end of the {@link Engine}: each framed message goes to {@link Engine#receive}
 * as if it were a datagram from the connection's remote address. A framing error closes the
 * connection (counted, logged once per handler class). Shares the engine's event loop.
 */
public final class StreamEngineHandler extends ChannelInboundHandlerAdapter {
    private static final System.Logger LOG = System.getLogger("culvert.tcp");
    private static final AtomicLong FRAMING_ERRORS = new AtomicLong();

    private final Engine engine;
    private final StreamOutbound outbound;
    private final Runnable onActive;
    private final Runnable writabilityChanged;
    private InetSocketAddress remote;
    private boolean placedAny;

    /**
     * @param onActive run when the connection is up and registered (a client starts its handshake there)
     * @param writabilityChanged run when the connection's writability changes (tunnels re-check theirs)
     */
    public StreamEngineHandler(Engine engine, StreamOutbound outbound, Runnable onActive, Runnable writabilityChanged) {
        this.engine = engine;
        this.outbound = outbound;
        this.onActive = onActive;
        this.writabilityChanged = writabilityChanged;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        remote = (InetSocketAddress) ctx.channel().remoteAddress();
        outbound.register(ctx.channel(), remote);
        if (onActive != null) {
            onActive.run();
        }
        outbound.flush();
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        outbound.unregister(ctx.channel(), remote);
        if (writabilityChanged != null) {
            writabilityChanged.run(); // a closed connection no longer holds anyone back
        }
        ctx.fireChannelInactive();
    }

    /**
     * Frames in a row that the engine could not even place (malformed, no mac1 of ours, an unknown receiver index)
     * after which the byte stream counts as desynchronised — bytes injected or lost in it — and the connection is
     * closed, so that the client redials at once instead of every message failing on it (SECURITY.md). An ordinary
     * peer sends none: its messages are well formed and name its session.
     */
    public static final int MAX_UNPLACEABLE_IN_A_ROW = 16;

    private int unplaceableInARow;

    /**
     * Set on a connection (a channel attribute, so it outlives the pipeline) once the engine has placed a message
     * it read from it: well formed, a valid mac1 of ours or a receiver index of ours. A client tells by it whether
     * the server answered before the connection went (its redial backoff starts over only then).
     */
    public static final AttributeKey<Boolean> PLACED_A_MESSAGE = AttributeKey.valueOf("culvert.stream.placed");

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf frame) {
            long before = unplaceable();
            engine.receive(frame, remote);
            if (unplaceable() == before) {
                if (!placedAny) { // the attribute is set once: this is the per-frame check
                    placedAny = true;
                    ctx.channel().attr(PLACED_A_MESSAGE).set(Boolean.TRUE);
                }
                unplaceableInARow = 0;
            } else if (++unplaceableInARow == MAX_UNPLACEABLE_IN_A_ROW) {
                LOG.log(System.Logger.Level.INFO, "closing TCP connection {0}: {1} messages in a row could not be "
                        + "placed (the stream is out of step); the peer redials", remoteText(), MAX_UNPLACEABLE_IN_A_ROW);
                ctx.close();
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private long unplaceable() {
        dev.culvert.protocol.Counters c = engine.counters();
        return c.drops(DropReason.MALFORMED) + c.drops(DropReason.BAD_MAC) + c.drops(DropReason.UNKNOWN_INDEX);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        engine.flushDelivered();
        outbound.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (writabilityChanged != null) {
            writabilityChanged.run();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException) {
            if (FRAMING_ERRORS.getAndIncrement() == 0) {
                LOG.log(System.Logger.Level.WARNING, "closing TCP connection from {0}: {1} (logged once; "
                        + "further framing errors are only counted)", remoteText(), cause.getMessage());
            }
        } else {
            LOG.log(System.Logger.Level.DEBUG, "TCP connection {0}: {1}", remoteText(), cause.toString());
        }
        ctx.close();
    }

    /** Connections closed for framing errors, process-wide. */
    public static long framingErrors() {
        return FRAMING_ERRORS.get();
    }

    /** The remote address as {@code [2001:db8::1]:51820} (RFC 5952) or {@code 192.0.2.1:51820}. */
    private String remoteText() {
        return remote == null ? "(not connected)" : io.netty.util.NetUtil.toSocketAddressString(remote);
    }
}
