package dev.culvert.protocol.offload;

import static dev.culvert.protocol.offload.PacketHeaders.ETHERNET_HEADER;
import static dev.culvert.protocol.offload.PacketHeaders.ETHERTYPE_IPV4;
import static dev.culvert.protocol.offload.PacketHeaders.ETHERTYPE_IPV6;
import static dev.culvert.protocol.offload.PacketHeaders.ETHERTYPE_VLAN;
import static dev.culvert.protocol.offload.PacketHeaders.IPV4_HEADER;
import static dev.culvert.protocol.offload.PacketHeaders.IPV6_HEADER;
import static dev.culvert.protocol.offload.PacketHeaders.PROTO_TCP;
import static dev.culvert.protocol.offload.PacketHeaders.TCP_CHECKSUM;
import static dev.culvert.protocol.offload.PacketHeaders.TCP_HEADER;
import static dev.culvert.protocol.offload.PacketHeaders.VLAN_TAG;

import io.netty.buffer.ByteBuf;

/**
 * Lowers the MSS option (RFC 9293 §3.7.1, kind 2, length 4) of a TCP SYN or SYN-ACK to a clamp, as an iptables
 * {@code TCPMSS} rule or OpenVPN's {@code mssfix} do, and updates the TCP checksum incrementally (RFC 1624 eqn. 3)
 * instead of summing the segment again.
 *
 * <p>Reads an IP packet (tun) or an Ethernet frame (tap, with at most one 802.1Q tag) from its reader index;
 * IPv4 (RFC 791: not a non-first fragment) and IPv6 (RFC 8200: TCP directly or after hop-by-hop, routing,
 * destination options and a first-fragment header). Anything else — another protocol, no SYN, no MSS option, an
 * MSS already at or below the clamp, or headers and options that do not parse (a length below 2, or past the
 * TCP header) — is left exactly as it was. Never throws for any content; moves no indexes.
 */
public final class MssClamp {
    private MssClamp() {}

    private static final int TCP_SYN = 0x02;
    private static final int OPT_EOL = 0;
    private static final int OPT_NOP = 1;
    private static final int OPT_MSS = 2;
    private static final int OPT_MSS_LENGTH = 4;
    private static final int IPV6_HOP_BY_HOP = 0;
    private static final int IPV6_ROUTING = 43;
    private static final int IPV6_FRAGMENT = 44;
    private static final int IPV6_DESTINATION = 60;
    /** At most this many IPv6 extension headers are walked before TCP (a packet with more is left alone). */
    private static final int MAX_EXTENSION_HEADERS = 8;

    /**
     * Clamps the MSS of the packet or frame in {@code buf[readerIndex, writerIndex)}.
     *
     * @param ethernet true for an Ethernet frame (tap), false for an IP packet (tun)
     * @param ipv4     the largest MSS an IPv4 SYN may carry, in bytes; 0: leave IPv4 alone
     * @param ipv6     the largest MSS an IPv6 SYN may carry, in bytes; 0: leave IPv6 alone
     * @return true if the MSS was rewritten (and the checksum with it)
     */
    public static boolean clamp(ByteBuf buf, boolean ethernet, int ipv4, int ipv6) {
        int base = buf.readerIndex();
        int end = buf.writerIndex();
        int l3 = base;
        int version;
        if (ethernet) {
            if (end - base < ETHERNET_HEADER) {
                return false;
            }
            int ethertype = buf.getUnsignedShort(base + 12);
            l3 = base + ETHERNET_HEADER;
            if (ethertype == ETHERTYPE_VLAN) {
                if (end - base < ETHERNET_HEADER + VLAN_TAG) {
                    return false;
                }
                ethertype = buf.getUnsignedShort(base + 16);
                l3 += VLAN_TAG;
            }
            version = ethertype == ETHERTYPE_IPV4 ? 4 : ethertype == ETHERTYPE_IPV6 ? 6 : 0;
        } else {
            version = end > base ? (buf.getUnsignedByte(base) >>> 4) : 0;
        }
        if (version == 4 && ipv4 > 0) {
            return clampIpv4(buf, l3, end, ipv4);
        }
        if (version == 6 && ipv6 > 0) {
            return clampIpv6(buf, l3, end, ipv6);
        }
        return false;
    }

    private static boolean clampIpv4(ByteBuf buf, int ip, int end, int mss) {
        if (end - ip < IPV4_HEADER || (buf.getUnsignedByte(ip) >>> 4) != 4) {
            return false;
        }
        int headerLength = (buf.getUnsignedByte(ip) & 0x0F) * 4;
        int total = buf.getUnsignedShort(ip + 2);
        int fragmentOffset = buf.getUnsignedShort(ip + 6) & 0x1FFF;
        if (headerLength < IPV4_HEADER || total < headerLength || total > end - ip || fragmentOffset != 0
                || buf.getUnsignedByte(ip + 9) != PROTO_TCP) {
            return false;
        }
        return clampTcp(buf, ip + headerLength, ip + total, mss);
    }

    private static boolean clampIpv6(ByteBuf buf, int ip, int end, int mss) {
        if (end - ip < IPV6_HEADER || (buf.getUnsignedByte(ip) >>> 4) != 6) {
            return false;
        }
        int limit = ip + IPV6_HEADER + buf.getUnsignedShort(ip + 4);
        if (limit > end) {
            return false;
        }
        int next = buf.getUnsignedByte(ip + 6);
        int at = ip + IPV6_HEADER;
        for (int n = 0; next != PROTO_TCP; n++) {
            if (n == MAX_EXTENSION_HEADERS || limit - at < 8) {
                return false;
            }
            int length;
            if (next == IPV6_HOP_BY_HOP || next == IPV6_ROUTING || next == IPV6_DESTINATION) {
                length = (buf.getUnsignedByte(at + 1) + 1) * 8;
            } else if (next == IPV6_FRAGMENT) {
                if ((buf.getUnsignedShort(at + 2) & 0xFFF8) != 0) {
                    return false; // not the first fragment: no TCP header here
                }
                length = 8;
            } else {
                return false;
            }
            next = buf.getUnsignedByte(at);
            at += length;
        }
        return at <= limit && clampTcp(buf, at, limit, mss);
    }

    /** The TCP segment at {@code tcp}, ending at {@code end}. */
    private static boolean clampTcp(ByteBuf buf, int tcp, int end, int mss) {
        if (end - tcp < TCP_HEADER || (buf.getUnsignedByte(tcp + 13) & TCP_SYN) == 0) {
            return false;
        }
        int headerLength = (buf.getUnsignedByte(tcp + 12) >>> 4) * 4;
        if (headerLength < TCP_HEADER || headerLength > end - tcp) {
            return false;
        }
        int optionsEnd = tcp + headerLength;
        int i = tcp + TCP_HEADER;
        while (i < optionsEnd) {
            int kind = buf.getUnsignedByte(i);
            if (kind == OPT_EOL) {
                return false;
            }
            if (kind == OPT_NOP) {
                i++;
                continue;
            }
            if (optionsEnd - i < 2) {
                return false; // a kind without its length byte
            }
            int length = buf.getUnsignedByte(i + 1);
            if (length < 2 || length > optionsEnd - i) {
                return false; // malformed: leave the segment as the sender wrote it
            }
            if (kind == OPT_MSS) {
                if (length != OPT_MSS_LENGTH) {
                    return false;
                }
                int old = buf.getUnsignedShort(i + 2);
                if (old <= mss) {
                    return false;
                }
                buf.setShort(i + 2, mss);
                updateChecksum(buf, tcp + TCP_CHECKSUM, old, mss, ((i + 2 - tcp) & 1) != 0);
                return true;
            }
            i += length;
        }
        return false;
    }

    /**
     * RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), for a 16-bit field that changed from {@code old} to {@code now}.
     * A field at an odd offset of the segment straddles two checksum words: its bytes count swapped (RFC 1071
     * §2(B)).
     */
    private static void updateChecksum(ByteBuf buf, int at, int old, int now, boolean oddOffset) {
        int m = oddOffset ? swap(old) : old;
        int mNew = oddOffset ? swap(now) : now;
        long sum = (~buf.getUnsignedShort(at) & 0xFFFF) + (~m & 0xFFFF) + mNew;
        buf.setShort(at, ~Checksums.fold(sum) & 0xFFFF);
    }

    private static int swap(int word) {
        return ((word & 0xFF) << 8) | (word >>> 8);
    }
}
