package dev.culvert.protocol.netty;

import dev.culvert.protocol.wire.PacketRoom;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * Frames each outgoing WireGuard message for a TCP stream ({@link StreamFrameDecoder} reads it): the
 * 2-byte big-endian length goes into the message's own headroom, which the data path leaves free
 * ({@link PacketRoom#STREAM_LENGTH_FIELD}), so a data packet stays one buffer. A message without
 * headroom (a handshake message) is copied once into a buffer with the prefix.
 */
public final class StreamFrameEncoder extends ChannelOutboundHandlerAdapter {
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf message)) {
            ctx.write(msg, promise);
            return;
        }
        int length = message.readableBytes();
        if (length > 0xFFFF) {
            message.release();
            promise.setFailure(new IllegalArgumentException("a " + length + "-byte message cannot be framed "
                    + "with a 2-byte length"));
            return;
        }
        ByteBuf framed = message;
        int at = message.readerIndex() - PacketRoom.STREAM_LENGTH_FIELD;
        if (!PacketRoom.canPrepend(message, PacketRoom.STREAM_LENGTH_FIELD)) {
            framed = ctx.alloc().directBuffer(PacketRoom.STREAM_LENGTH_FIELD + length);
            framed.writerIndex(PacketRoom.STREAM_LENGTH_FIELD).writeBytes(message, message.readerIndex(), length);
            message.release();
            at = 0;
        }
        framed.setShort(at, length).readerIndex(at);
        ctx.write(framed, promise);
    }
}
