package dev.culvert.protocol.offload;

import dev.culvert.protocol.Counters;
import dev.culvert.protocol.DropReason;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * The device-write side of tun/tap offloads (GRO towards the kernel), next to the device channel of a
 * device opened with {@code IFF_VNET_HDR}:
 * <pre>
 *   "wireguard" → "routing" → write(plain packet, void promise)   held by the {@link Coalescer}
 *                             flush()                              merged super-packets and single packets,
 *                                                                  each behind its virtio_net_hdr,
 *                                                                  written, then one ctx.flush()
 *                             → device channel (one write(2) per packet)
 * </pre>
 * A write with a real promise (not the tunnel's void one) or of something other than a {@link ByteBuf} is
 * not held: the held packets are written first, then it, so nothing overtakes. A failed device write is
 * reported through the void promise to {@code exceptionCaught} where WireGuardHandler counts it; packets
 * still held when the device closes or the handler is removed are released and counted as
 * {@code device_error} drops.
 */
public final class CoalescingHandler extends ChannelOutboundHandlerAdapter implements Coalescer.Output {
    private final Coalescer coalescer;
    private final Counters counters;
    private ChannelHandlerContext ctx;

    /**
     * @param offloads what the device accepts ({@code vnetHeader} must be on: every packet gets a header)
     * @param ethernet true on tap (Ethernet frames), false on tun (IP packets)
     * @param counters the peer's counters, for packets lost when the device closes with packets held
     */
    public CoalescingHandler(DeviceOffloads offloads, boolean ethernet, Counters counters) {
        if (!offloads.vnetHeader()) {
            throw new IllegalArgumentException("coalescing needs a device with the virtio-net header");
        }
        this.coalescer = new Coalescer(offloads, ethernet);
        this.counters = counters;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        dropHeld();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf packet) {
            if (promise.isVoid()) {
                coalescer.add(packet);
                return;
            }
            coalescer.flush(ctx.alloc(), this);
            ctx.write(Coalescer.withZeroHeader(ctx.alloc(), packet), promise);
            return;
        }
        coalescer.flush(ctx.alloc(), this);
        ctx.write(msg, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        coalescer.flush(ctx.alloc(), this);
        ctx.flush();
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        dropHeld();
        ctx.close(promise);
    }

    @Override
    public void emit(ByteBuf packet) {
        ctx.write(packet, ctx.voidPromise());
    }

    private void dropHeld() {
        for (int n = coalescer.release(); n > 0; n--) {
            counters.drop(DropReason.DEVICE_ERROR);
        }
    }
}
