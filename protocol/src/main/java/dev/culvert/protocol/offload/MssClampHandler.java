package dev.culvert.protocol.offload;

import dev.culvert.protocol.Counters;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * {@code mss-clamp}: lowers the MSS option of TCP SYN and SYN-ACK segments crossing the tunnel, both ways
 * ({@link MssClamp}), counting each rewrite as {@link Counters.Kind#MSS_CLAMPED}. It sits next to the device, below
 * "segmentation" and "coalescing", so it sees plain packets (tap: frames) without a virtio-net header: what the
 * device delivers after segmentation, and what the peer sent after routing has checked and trimmed it. A SYN is
 * never a TSO super-packet (it carries no payload to segment). Not added at all when the clamp is off, so a
 * WireGuard-compatible tunnel passes every byte unchanged. Not sharable (one per channel).
 */
public final class MssClampHandler extends ChannelDuplexHandler {
    private final boolean ethernet;
    private final int ipv4;
    private final int ipv6;
    private final Counters counters;

    /**
     * @param ethernet true for a tap device (Ethernet frames), false for tun (IP packets)
     * @param ipv4     the largest MSS for IPv4 SYNs, bytes (0: leave IPv4 alone)
     * @param ipv6     the largest MSS for IPv6 SYNs, bytes (0: leave IPv6 alone)
     * @param counters where rewrites are counted
     */
    public MssClampHandler(boolean ethernet, int ipv4, int ipv6, Counters counters) {
        this.ethernet = ethernet;
        this.ipv4 = ipv4;
        this.ipv6 = ipv6;
        this.counters = counters;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        clamp(msg);
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        clamp(msg);
        ctx.write(msg, promise);
    }

    private void clamp(Object msg) {
        if (msg instanceof ByteBuf packet && MssClamp.clamp(packet, ethernet, ipv4, ipv6)) {
            counters.add(Counters.Kind.MSS_CLAMPED, 1);
        }
    }
}
