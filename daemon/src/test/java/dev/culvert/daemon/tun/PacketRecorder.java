package dev.culvert.daemon.tun;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Test handler for the tun channels: records the first and last int of each packet read, its layout
 * (readerIndex, free bytes after it), the size of each burst and each writability change, and
 * releases every packet.
 */
final class PacketRecorder extends ChannelInboundHandlerAdapter {

    final List<Integer> packets = new CopyOnWriteArrayList<>();
    final List<Integer> bursts = new CopyOnWriteArrayList<>();
    final List<Integer> readerIndexes = new CopyOnWriteArrayList<>();
    final List<Integer> freeAfter = new CopyOnWriteArrayList<>();
    final List<Integer> lengths = new CopyOnWriteArrayList<>();
    /** The last int of each packet (-1 if shorter than 8 bytes). */
    final List<Integer> lastInts = new CopyOnWriteArrayList<>();
    final List<Boolean> writability = new CopyOnWriteArrayList<>();
    private int inBurst;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf packet = (ByteBuf) msg;
        try {
            readerIndexes.add(packet.readerIndex());
            freeAfter.add(packet.capacity() - packet.writerIndex());
            lengths.add(packet.readableBytes());
            packets.add(packet.readableBytes() >= Integer.BYTES ? packet.getInt(packet.readerIndex()) : -1);
            lastInts.add(packet.readableBytes() >= 2 * Integer.BYTES
                    ? packet.getInt(packet.writerIndex() - Integer.BYTES) : -1);
            inBurst++;
        } finally {
            packet.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        bursts.add(inBurst);
        inBurst = 0;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        writability.add(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }
}
