package dev.culvert.protocol.offload;

import dev.culvert.protocol.Counters;
import dev.culvert.protocol.DropReason;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * First inbound handler on a device opened with {@code IFF_VNET_HDR}: every {@link ByteBuf} read (readerIndex at
 * its {@link VirtioNetHdr}) leaves as one or more plain IP packets (tap: Ethernet frames) — the header skipped, a
 * partial checksum completed, a TSO/USO super-packet split into MTU-sized segments in their own buffers
 * ({@link Segmenter}). A packet whose header does not fit it is released and counted as
 * {@link DropReason#BAD_OFFLOAD}; nothing is thrown. Other messages pass through. Not sharable (one per channel).
 */
public final class SegmentationHandler extends ChannelInboundHandlerAdapter {
    private final Segmenter segmenter;
    private final Counters counters;
    private Segmenter.Output next;

    /**
     * @param offloads what the device enabled ({@link DeviceOffloads#vnetHeader()} must be on)
     * @param ethernet true for a tap device (Ethernet frames), false for tun (IP packets)
     * @param mtu      the device MTU in bytes: the largest IP packet a segment may be
     * @param counters where {@code bad_offload} drops are counted
     */
    public SegmentationHandler(DeviceOffloads offloads, boolean ethernet, int mtu, Counters counters) {
        if (!offloads.vnetHeader()) {
            throw new IllegalArgumentException("segmentation needs the virtio-net header");
        }
        this.segmenter = new Segmenter(offloads, ethernet, mtu);
        this.counters = counters;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.next = ctx::fireChannelRead;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf packet)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (!segmenter.process(packet, ctx.alloc(), next)) {
            counters.drop(DropReason.BAD_OFFLOAD);
        }
    }
}
