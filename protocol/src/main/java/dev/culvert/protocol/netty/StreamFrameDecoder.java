package dev.culvert.protocol.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;

import java.util.List;

/**
 * Splits a TCP byte stream into WireGuard messages, each prefixed by its length:
 * <pre>
 *  +----------------+---------------------------------+
 *  | length u16 BE  | one WireGuard message (length B) |
 *  +----------------+---------------------------------+
 * </pre>
 * (as VTUN frames its TCP stream, and as udp-over-tcp tools do). A zero length, or one above the
 * bound, cannot come from a well-behaved peer: the stream is out of step, so this throws
 * {@link CorruptedFrameException} and the connection is closed by {@link StreamEngineHandler}.
 */
public final class StreamFrameDecoder extends ByteToMessageDecoder {
    public static final int LENGTH_FIELD = 2;
    private final int maxFrame;

    /** @param maxFrame the largest message accepted (the largest datagram the tunnels can produce) */
    public StreamFrameDecoder(int maxFrame) {
        if (maxFrame < 1 || maxFrame > 0xFFFF) {
            throw new IllegalArgumentException("maxFrame must be 1..65535, got " + maxFrame);
        }
        this.maxFrame = maxFrame;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.readableBytes() >= LENGTH_FIELD) {
            int length = in.getUnsignedShort(in.readerIndex());
            if (length == 0 || length > maxFrame) {
                in.skipBytes(in.readableBytes());
                throw new CorruptedFrameException(length == 0 ? "zero-length frame"
                        : "frame of " + length + " bytes exceeds the bound of " + maxFrame);
            }
            if (in.readableBytes() < LENGTH_FIELD + length) {
                return;
            }
            in.skipBytes(LENGTH_FIELD);
            out.add(in.readRetainedSlice(length));
        }
    }
}
