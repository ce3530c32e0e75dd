package dev.culvert.protocol.vtun;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCounted;
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
     * @param payload the data frame's payload (1..{@link VtunFrames#MAX_PAYLOAD} bytes, a retained slice of what
     *                was read: whoever takes the frame releases it, or the frame, which releases its payload),
     *                null for a control frame
     */
    public record Frame(int control, ByteBuf payload) implements ReferenceCounted {
        @Override
        public int refCnt() {
            return payload == null ? 1 : payload.refCnt();
        }

        @Override
        public Frame retain() {
            return retain(1);
        }

        @Override
        public Frame retain(int increment) {
            if (payload != null) {
                payload.retain(increment);
            }
            return this;
        }

        @Override
        public Frame touch() {
            return touch(null);
        }

        @Override
        public Frame touch(Object hint) {
            if (payload != null) {
                payload.touch(hint);
            }
            return this;
        }

        @Override
        public boolean release() {
            return release(1);
        }

        @Override
        public boolean release(int decrement) {
            return payload != null && payload.release(decrement);
        }
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
            out.add(new Frame(0, in.readRetainedSlice(length)));
        }
        if (broken) {
            in.skipBytes(in.readableBytes());
        }
    }
}
