package dev.culvert.protocol.pipeline;

import dev.culvert.protocol.AllowedIps;
import dev.culvert.protocol.Counters;
import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.wire.PacketRoom;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;

/**
 * Cryptokey routing (whitepaper §2) and size limits, next to the device.
 *
 * <p>From the device ({@code channelRead}): a packet longer than the MTU (plus the link header on tap)
 * is dropped as {@code too_big}; on tun, one that is not IPv4/IPv6 as {@code malformed}, and one whose
 * destination is outside the peer's allowed IPs as {@code no_route}. To the device ({@code write}): on
 * tun, a payload that is not a whole IP packet is dropped as {@code malformed}, one whose source is outside
 * the allowed IPs as {@code not_allowed_source}, and WireGuard's padding is trimmed off (RFC 791
 * total length / RFC 8200 payload length). A packet longer than the local MTU (from a peer whose MTU is
 * larger) is delivered whole, as WireGuard does: the MTU bounds what a device sends, not what it takes.
 * Tap frames pass through unchecked (a bridge decides).
 */
public final class AllowedIpsHandler extends ChannelDuplexHandler {
    private static final int IPV4_HEADER = 20;
    private static final int IPV6_HEADER = 40;

    private final AllowedIps allowedIps;
    private final boolean ethernet;
    private final int maxFromDevice;
    private final Counters counters;

    /**
     * @param mtu      the device MTU in bytes
     * @param ethernet true for a tap device (Ethernet frames), false for tun (IP packets)
     * @param counters the tunnel's counters, where drops are counted
     */
    public AllowedIpsHandler(AllowedIps allowedIps, int mtu, boolean ethernet, Counters counters) {
        this.allowedIps = allowedIps;
        this.ethernet = ethernet;
        this.maxFromDevice = ethernet ? mtu + PacketRoom.LINK_HEADER : mtu;
        this.counters = counters;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf packet)) {
            ctx.fireChannelRead(msg);
            return;
        }
        int length = packet.readableBytes();
        if (length > maxFromDevice) {
            drop(packet, DropReason.TOO_BIG);
            return;
        }
        if (!ethernet) {
            int base = packet.readerIndex();
            int version = length > 0 ? (packet.getByte(base) & 0xF0) >>> 4 : 0;
            int dst;
            if (version == 4 && length >= IPV4_HEADER) {
                dst = base + 16;
            } else if (version == 6 && length >= IPV6_HEADER) {
                dst = base + 24;
            } else {
                drop(packet, DropReason.MALFORMED);
                return;
            }
            if (!allowedIps.contains(packet, dst, version == 4 ? 4 : 16)) {
                drop(packet, DropReason.NO_ROUTE);
                return;
            }
        }
        ctx.fireChannelRead(packet);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (ethernet || !(msg instanceof ByteBuf plain)) {
            ctx.write(msg, promise);
            return;
        }
        int length = plain.readableBytes();
        int base = plain.readerIndex();
        int version = length > 0 ? (plain.getByte(base) & 0xF0) >>> 4 : 0;
        int total;
        int src;
        int addressLength;
        if (version == 4 && length >= IPV4_HEADER) {
            total = plain.getUnsignedShort(base + 2);
            src = 12;
            addressLength = 4;
        } else if (version == 6 && length >= IPV6_HEADER) {
            total = IPV6_HEADER + plain.getUnsignedShort(base + 4);
            src = 8;
            addressLength = 16;
        } else {
            drop(plain, DropReason.MALFORMED);
            return;
        }
        if (total > length || total < (version == 4 ? IPV4_HEADER : IPV6_HEADER)) {
            drop(plain, DropReason.MALFORMED);
            return;
        }
        if (!allowedIps.contains(plain, base + src, addressLength)) {
            drop(plain, DropReason.NOT_ALLOWED_SOURCE);
            return;
        }
        plain.writerIndex(base + total);
        ctx.write(plain, promise);
    }

    private void drop(Object packet, DropReason reason) {
        counters.drop(reason);
        ReferenceCountUtil.release(packet);
    }
}
