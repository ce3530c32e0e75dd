package dev.culvert.protocol.vtun;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * vtund's 2-byte framed data on a TCP stream (VTUN.md §2.3, vtund {@code generic/tcp_proto.c}): emits one
 * {@link Frame} per frame. Bounded: a data frame is at most {@link VtunFrames#MAX_PAYLOAD} bytes, so nothing
 * accumulates past that. A malformed header throws {@link VtunFrameException} (wrapped in Netty's
 * {@code DecoderException}) once; the decoder then discards whatever follows: the session is to be closed, as the
 * stream cannot be resynchronised.
 */
public final class VtunFrameDecoder extends ByteToMessageDecoder {

    /**
     * One frame.
     *
     * @param control 0 for data, else the control flag ({@link VtunFrames#ECHO_REQ}, {@link VtunFrames#ECHO_REP},
     *                {@link VtunFrames#CONN_CLOSE})
     * @param payload the data frame's payload (1..{@link VtunFrames#MAX_PAYLOAD} bytes), null for a control frame
     */
    public record Frame(int control, byte[] payload) {
    }

    /** Set by a malformed header: the stream cannot be resynchronised, so the rest is discarded unread. */
    private boolean broken;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (!broken && in.readableBytes() >= VtunFrames.HEADER) {
            int length;
            try {
                length = VtunFrames.check(in.getUnsignedShort(in.readerIndex()));
            } catch (VtunFrameException e) {
                broken = true;
                in.skipBytes(in.readableBytes());
                throw e;
            }
            if (length < 0) {
                in.skipBytes(VtunFrames.HEADER);
                out.add(new Frame(-length, null));
                continue;
            }
            if (in.readableBytes() < VtunFrames.HEADER + length) {
                return;
            }
            in.skipBytes(VtunFrames.HEADER);
            byte[] payload = new byte[length];
            in.readBytes(payload);
            out.add(new Frame(0, payload));
        }
        if (broken) {
            in.skipBytes(in.readableBytes());
        }
    }
}
