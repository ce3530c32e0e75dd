package dev.culvert.protocol.offload;

import static dev.culvert.protocol.offload.PacketHeaders.ETHERNET_HEADER;
import static dev.culvert.protocol.offload.PacketHeaders.ETHERTYPE_IPV4;
import static dev.culvert.protocol.offload.PacketHeaders.ETHERTYPE_IPV6;
import static dev.culvert.protocol.offload.PacketHeaders.ETHERTYPE_VLAN;
import static dev.culvert.protocol.offload.PacketHeaders.IPV4_HEADER;
import static dev.culvert.protocol.offload.PacketHeaders.IPV6_HEADER;
import static dev.culvert.protocol.offload.PacketHeaders.PROTO_TCP;
import static dev.culvert.protocol.offload.PacketHeaders.PROTO_UDP;
import static dev.culvert.protocol.offload.PacketHeaders.TCP_CHECKSUM;
import static dev.culvert.protocol.offload.PacketHeaders.TCP_CWR;
import static dev.culvert.protocol.offload.PacketHeaders.TCP_FIN;
import static dev.culvert.protocol.offload.PacketHeaders.TCP_HEADER;
import static dev.culvert.protocol.offload.PacketHeaders.TCP_PSH;
import static dev.culvert.protocol.offload.PacketHeaders.UDP_CHECKSUM;
import static dev.culvert.protocol.offload.PacketHeaders.UDP_HEADER;
import static dev.culvert.protocol.offload.PacketHeaders.VLAN_TAG;

import dev.culvert.protocol.wire.PacketRoom;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Turns one packet read from a tun/tap device opened with {@code IFF_VNET_HDR} into the plain packets it stands
 * for: the {@link VirtioNetHdr} is parsed and checked against the packet, a partial checksum
 * ({@link VirtioNetHdr#F_NEEDS_CSUM}) is completed, and a TSO ({@code GSO_TCPV4/6}) or USO
 * ({@code GSO_UDP_L4}) super-packet is split into segments of {@code gso_size} payload bytes, each with its own
 * IPv4 total length, identification (+1 per segment) and header checksum or IPv6 payload length, TCP sequence
 * number, flags (FIN and PSH on the last segment only, CWR on the first only) and checksum, or UDP length and
 * checksum — what the kernel's {@code tcp_gso_segment} / {@code __udp_gso_segment} would have sent.
 *
 * <p>The packet is an IP packet on tun and an Ethernet frame (ethertype IPv4 or IPv6, at most one 802.1Q tag)
 * on tap. Offsets in the header ({@code csum_start}) count from the first byte after it. {@code hdr_len} is not
 * trusted: on the forwarding path the kernel may give the length of the whole first segment (its linear part)
 * rather than of the headers, so the header lengths are read from the IP and TCP/UDP headers themselves, must
 * agree with {@code csum_start}/{@code csum_offset} when {@link VirtioNetHdr#F_NEEDS_CSUM} is set, and
 * {@code hdr_len} only has to lie within the packet. IPv6 extension headers and IPv4 fragments are refused; IPv4
 * and TCP options are copied into every segment.
 *
 * <p>Ownership: {@link #process} always consumes the packet — it is handed on (a plain packet, the header
 * skipped, possibly checksummed in place), or released after its segments were emitted, or released as bad. A bad
 * packet (any field that does not fit; UFO {@code GSO_UDP}; a type the device did not enable; a segment longer
 * than the MTU) emits nothing. Nothing throws for bad input. One instance per channel: it keeps the parse of the
 * current packet in fields so that the hot path allocates nothing but the segment buffers.
 */
public final class Segmenter {

    /** Where {@link #process} puts the packets it produces, in order. Takes ownership of each. */
    @FunctionalInterface
    public interface Output {
        void accept(ByteBuf packet);
    }


    private final DeviceOffloads offloads;
    private final boolean ethernet;
    private final int maxPacket;

    // The parse of the current packet (absolute indexes into it); valid between parse and emit.
    private int l3;
    private boolean v4;
    private int ipHeaderLength;
    private int l4;
    private int headers;

    /**
     * @param offloads what the device enabled: a GSO type or checksum offload it did not is a bad packet
     * @param ethernet true for a tap device (Ethernet frames), false for tun (IP packets)
     * @param mtu      the device MTU in bytes; a segment's IP packet may not exceed it (tap: the frame may
     *                 exceed it by {@link PacketRoom#LINK_HEADER}, as for plain frames)
     */
    public Segmenter(DeviceOffloads offloads, boolean ethernet, int mtu) {
        this.offloads = offloads;
        this.ethernet = ethernet;
        this.maxPacket = ethernet ? mtu + PacketRoom.LINK_HEADER : mtu;
    }

    /**
     * Processes one packet whose readerIndex is at its virtio-net header.
     *
     * @param alloc where segment buffers come from (direct, {@link PacketRoom#HEADROOM} before each segment and
     *              at least {@link PacketRoom#TAILROOM} writable after it)
     * @return true if the packet was handed on or segmented into {@code out}; false if it was bad (released,
     *         nothing emitted) — the caller counts it
     */
    public boolean process(ByteBuf packet, ByteBufAllocator alloc, Output out) {
        int at = packet.readerIndex();
        int length = packet.readableBytes() - VirtioNetHdr.LENGTH;
        if (length < 0) {
            packet.release();
            return false;
        }
        int flags = VirtioNetHdr.flags(packet, at);
        int type = VirtioNetHdr.gsoType(packet, at);
        int base = at + VirtioNetHdr.LENGTH;
        boolean needsCsum = (flags & VirtioNetHdr.F_NEEDS_CSUM) != 0;
        if (type == VirtioNetHdr.GSO_NONE) {
            if (needsCsum && !(offloads.csum() && completeChecksum(packet, at, base, length))) {
                packet.release();
                return false;
            }
            packet.skipBytes(VirtioNetHdr.LENGTH);
            out.accept(packet);
            return true;
        }
        if (!parse(packet, at, base, length, type, needsCsum)) {
            packet.release();
            return false;
        }
        try {
            segment(packet, at, base, length, type, alloc, out);
        } finally {
            packet.release();
        }
        return true;
    }

    /** GSO_NONE with NEEDS_CSUM: the sum from csum_start to the end, over the partial value the field holds. */
    private static boolean completeChecksum(ByteBuf packet, int at, int base, int length) {
        int start = VirtioNetHdr.csumStart(packet, at);
        int offset = VirtioNetHdr.csumOffset(packet, at);
        if (start + offset + 2 > length) {
            return false;
        }
        int field = base + start + offset;
        int sum = Checksums.finish(Checksums.add(packet, base + start, length - start, 0));
        // As the kernel's skb_checksum_help: a zero result is sent as 0xFFFF (the same value for TCP; required
        // for UDP, where zero means "no checksum").
        packet.setShort(field, sum == 0 ? 0xFFFF : sum);
        return true;
    }

    /** Checks a GSO packet's header against the packet; fills {@link #l3}, {@link #v4}, {@link #l4} and so on. */
    private boolean parse(ByteBuf packet, int at, int base, int length, int type, boolean needsCsum) {
        int gso = type & ~VirtioNetHdr.GSO_ECN;
        boolean tcp;
        if (gso == VirtioNetHdr.GSO_TCPV4 || gso == VirtioNetHdr.GSO_TCPV6) {
            tcp = true;
        } else if (gso == VirtioNetHdr.GSO_UDP_L4) {
            tcp = false;
        } else {
            return false; // GSO_NONE | ECN, UFO, unknown
        }
        int gsoSize = VirtioNetHdr.gsoSize(packet, at);
        if (gsoSize == 0 || VirtioNetHdr.hdrLen(packet, at) > length) {
            return false;
        }
        int end = base + length;
        int l3Offset = 0;
        int version;
        if (ethernet) {
            if (length < ETHERNET_HEADER) {
                return false;
            }
            int ethertype = packet.getUnsignedShort(base + 12);
            l3Offset = ETHERNET_HEADER;
            if (ethertype == ETHERTYPE_VLAN) {
                if (length < ETHERNET_HEADER + VLAN_TAG) {
                    return false;
                }
                ethertype = packet.getUnsignedShort(base + 16);
                l3Offset += VLAN_TAG;
            }
            if (ethertype == ETHERTYPE_IPV4) {
                version = 4;
            } else if (ethertype == ETHERTYPE_IPV6) {
                version = 6;
            } else {
                return false;
            }
        } else {
            version = length > 0 ? (packet.getUnsignedByte(base) >>> 4) : 0;
        }
        int ip = base + l3Offset;
        int protocol;
        int l4At;
        int ipHeader = IPV6_HEADER;
        if (version == 4) {
            if (end - ip < IPV4_HEADER || (packet.getUnsignedByte(ip) >>> 4) != 4) {
                return false;
            }
            ipHeader = (packet.getUnsignedByte(ip) & 0x0F) * 4;
            if (ipHeader < IPV4_HEADER || end - ip < ipHeader) {
                return false;
            }
            if ((packet.getUnsignedShort(ip + 6) & 0x3FFF) != 0) {
                return false; // MF or a fragment offset: a fragment cannot be segmented
            }
            protocol = packet.getUnsignedByte(ip + 9);
            l4At = ip + ipHeader;
            if (tcp ? !(gso == VirtioNetHdr.GSO_TCPV4 && offloads.tso4()) : !offloads.uso4()) {
                return false;
            }
        } else if (version == 6) {
            if (end - ip < IPV6_HEADER || (packet.getUnsignedByte(ip) >>> 4) != 6) {
                return false;
            }
            protocol = packet.getUnsignedByte(ip + 6); // any extension header is refused here
            l4At = ip + IPV6_HEADER;
            if (tcp ? !(gso == VirtioNetHdr.GSO_TCPV6 && offloads.tso6()) : !offloads.uso6()) {
                return false;
            }
        } else {
            return false;
        }
        int l4Length;
        if (tcp) {
            if (protocol != PROTO_TCP || end - l4At < TCP_HEADER) {
                return false;
            }
            l4Length = (packet.getUnsignedByte(l4At + 12) >>> 4) * 4;
            if (l4Length < TCP_HEADER || end - l4At < l4Length) {
                return false;
            }
        } else {
            if (protocol != PROTO_UDP || end - l4At < UDP_HEADER) {
                return false;
            }
            l4Length = UDP_HEADER;
        }
        if (needsCsum && (VirtioNetHdr.csumStart(packet, at) != l4At - base
                || VirtioNetHdr.csumOffset(packet, at) != (tcp ? TCP_CHECKSUM : UDP_CHECKSUM))) {
            return false;
        }
        int headerBytes = l4At + l4Length - base;
        int payload = length - headerBytes;
        if (payload <= 0 || headerBytes + Math.min(gsoSize, payload) > maxPacket) {
            return false;
        }
        this.l3 = ip;
        this.v4 = version == 4;
        this.ipHeaderLength = ipHeader;
        this.l4 = l4At;
        this.headers = headerBytes;
        return true;
    }

    private void segment(ByteBuf packet, int at, int base, int length, int type, ByteBufAllocator alloc, Output out) {
        boolean tcp = (type & ~VirtioNetHdr.GSO_ECN) != VirtioNetHdr.GSO_UDP_L4;
        int gsoSize = VirtioNetHdr.gsoSize(packet, at);
        // The parse into locals: out.accept may run the pipeline, which could (in theory) bring another packet.
        boolean v4 = this.v4;
        int ipHeaderLength = this.ipHeaderLength;
        int headerBytes = headers;
        int ipOffset = l3 - base; // within each segment, from its start
        int l4Offset = l4 - base;
        int protocol = tcp ? PROTO_TCP : PROTO_UDP;
        int checksumAt = l4Offset + (tcp ? TCP_CHECKSUM : UDP_CHECKSUM);
        int payload = length - headerBytes;
        int ipId = v4 ? packet.getUnsignedShort(l3 + 4) : 0;
        long seq = tcp ? packet.getUnsignedInt(l4 + 4) : 0;
        int tcpFlags = tcp ? packet.getUnsignedByte(l4 + 13) : 0;
        int head = PacketRoom.HEADROOM;
        int i = 0;
        for (int done = 0; done < payload; done += gsoSize, i++) {
            int chunk = Math.min(gsoSize, payload - done);
            int segmentLength = headerBytes + chunk;
            ByteBuf s = alloc.directBuffer(head + segmentLength + PacketRoom.TAILROOM);
            s.setBytes(head, packet, base, headerBytes);
            s.setBytes(head + headerBytes, packet, base + headerBytes + done, chunk);
            s.setIndex(head, head + segmentLength);
            int ip = head + ipOffset;
            int l4At = head + l4Offset;
            int l4Length = segmentLength - l4Offset;
            if (v4) {
                s.setShort(ip + 2, segmentLength - ipOffset);
                s.setShort(ip + 4, ipId + i);
                s.setShort(ip + 10, Checksums.ipv4Header(s, ip, ipHeaderLength));
            } else {
                s.setShort(ip + 4, segmentLength - ipOffset - IPV6_HEADER);
            }
            if (tcp) {
                s.setInt(l4At + 4, (int) (seq + done));
                int f = tcpFlags;
                if (done + chunk < payload) {
                    f &= ~(TCP_FIN | TCP_PSH);
                }
                if (i > 0) {
                    f &= ~TCP_CWR;
                }
                s.setByte(l4At + 13, f);
            } else {
                s.setShort(l4At + 4, l4Length);
            }
            s.setShort(head + checksumAt, 0);
            long sum = v4 ? Checksums.pseudoHeaderV4(s, ip, protocol, l4Length)
                    : Checksums.pseudoHeaderV6(s, ip, protocol, l4Length);
            int c = Checksums.finish(Checksums.add(s, l4At, l4Length, sum));
            s.setShort(head + checksumAt, !tcp && c == 0 ? 0xFFFF : c);
            out.accept(s);
        }
    }
}
