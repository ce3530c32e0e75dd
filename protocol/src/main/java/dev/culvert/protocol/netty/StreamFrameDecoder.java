package dev.culvert.protocol.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;

/**
 * Splits a TCP byte stream into WireGuard messages, each prefixed by its length:
 * <pre>
 *  +----------------+---------------------------------+
 *  | length u16 BE  | one WireGuard message (length B) |
 *  +----------------+---------------------------------+
 * </pre>
 * (as VTUN frames its TCP stream, and as udp-over-tcp tools do). A zero length keeps the stream in
 * step: it is passed on as an empty message, which the engine drops and counts as {@code malformed}, so
 * it costs that frame only (issue 13). A length above the bound cannot be skipped safely, so a
 * {@link CorruptedFrameException} goes to exceptionCaught, the connection is closed by
 * {@link StreamEngineHandler}, and what else arrives is discarded; with the protocol's bound
 * ({@code PacketRoom.MAX_MESSAGE}, 65535, which the daemon uses) no length is above it.
 *
 * <p>No copy of whole reads: every message that lies within one read buffer is passed on as a retained
 * slice of it (opened in place); only a message split across two reads is gathered into a buffer of its
 * own (at most one per read, of {@code 2 + length} bytes, or {@code 2 + maxFrame} if the read ended inside
 * the length field). A cumulating decoder would instead copy
 * a whole read whenever the previous one ended inside a message and its slices were still held.
 */
public final class StreamFrameDecoder extends ChannelInboundHandlerAdapter {
    public static final int LENGTH_FIELD = 2;
    private final int maxFrame;
    /** The bytes so far (length field first) of a message split across reads, or null. */
    private ByteBuf partial;
    private boolean corrupt;

    /** @param maxFrame the largest message accepted, in bytes (1..65535; the daemon takes the protocol's 65535) */
    public StreamFrameDecoder(int maxFrame) {
        if (maxFrame < 1 || maxFrame > 0xFFFF) {
            throw new IllegalArgumentException("maxFrame must be 1..65535, got " + maxFrame);
        }
        this.maxFrame = maxFrame;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (corrupt || partial != null && !completePartial(ctx, in)) {
                return;
            }
            while (in.readableBytes() >= LENGTH_FIELD) {
                int length = in.getUnsignedShort(in.readerIndex());
                if (!valid(ctx, length)) {
                    return;
                }
                if (in.readableBytes() < LENGTH_FIELD + length) {
                    break;
                }
                in.skipBytes(LENGTH_FIELD);
                ctx.fireChannelRead(in.readRetainedSlice(length));
                if (corrupt) {
                    return; // the handler was removed while the message was handled
                }
            }
            if (in.isReadable()) {
                partial = ctx.alloc().buffer(LENGTH_FIELD + (in.readableBytes() >= LENGTH_FIELD
                        ? in.getUnsignedShort(in.readerIndex()) : maxFrame));
                partial.writeBytes(in);
            }
        } finally {
            in.release();
        }
    }

    /**
     * Adds the head of {@code in} to the message split across reads.
     *
     * @return true if the message was completed (and passed on), so {@code in} may hold more
     */
    private boolean completePartial(ChannelHandlerContext ctx, ByteBuf in) {
        if (partial.readableBytes() < LENGTH_FIELD) {
            partial.writeBytes(in, Math.min(LENGTH_FIELD - partial.readableBytes(), in.readableBytes()));
            if (partial.readableBytes() < LENGTH_FIELD) {
                return false;
            }
            if (!valid(ctx, partial.getUnsignedShort(partial.readerIndex()))) {
                return false;
            }
        }
        int need = LENGTH_FIELD + partial.getUnsignedShort(partial.readerIndex()) - partial.readableBytes();
        int take = Math.min(need, in.readableBytes());
        partial.writeBytes(in, take);
        if (take < need) {
            return false;
        }
        ByteBuf message = partial;
        partial = null;
        message.skipBytes(LENGTH_FIELD);
        ctx.fireChannelRead(message);
        return !corrupt;
    }

    private boolean valid(ChannelHandlerContext ctx, int length) {
        if (length <= maxFrame) {
            return true;
        }
        discard();
        ctx.fireExceptionCaught(new CorruptedFrameException(
                "frame of " + length + " bytes exceeds the bound of " + maxFrame));
        return false;
    }

    /** From now on nothing is passed on: the stream is out of step, or the handler is gone. */
    private void discard() {
        corrupt = true;
        if (partial != null) {
            partial.release();
            partial = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        discard();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        discard();
    }
}
