package dev.culvert.protocol.offload;

import static dev.culvert.protocol.offload.PacketHeaders.ETHERNET_HEADER;
import static dev.culvert.protocol.offload.PacketHeaders.ETHERTYPE_IPV4;
import static dev.culvert.protocol.offload.PacketHeaders.ETHERTYPE_IPV6;
import static dev.culvert.protocol.offload.PacketHeaders.IPV4_HEADER;
import static dev.culvert.protocol.offload.PacketHeaders.IPV6_HEADER;
import static dev.culvert.protocol.offload.PacketHeaders.PROTO_TCP;
import static dev.culvert.protocol.offload.PacketHeaders.PROTO_UDP;
import static dev.culvert.protocol.offload.PacketHeaders.TCP_ACK;
import static dev.culvert.protocol.offload.PacketHeaders.TCP_CHECKSUM;
import static dev.culvert.protocol.offload.PacketHeaders.TCP_HEADER;
import static dev.culvert.protocol.offload.PacketHeaders.TCP_PSH;
import static dev.culvert.protocol.offload.PacketHeaders.UDP_CHECKSUM;
import static dev.culvert.protocol.offload.PacketHeaders.UDP_HEADER;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import dev.culvert.protocol.wire.PacketRoom;

/**
 * GRO on the device-write side: merges consecutive segments of one TCP flow (and datagrams of one UDP flow)
 * into super-packets the kernel segments again, and gives every packet its {@link VirtioNetHdr}.
 * <pre>
 *   add(packet)   parse once; join the open merge of its flow (a slot of {@link #FLOW_SLOTS}) or open one
 *   flush(alloc)  merges in the order of their first packet: one packet → zero header in place (or copied);
 *                 two or more → one new buffer: header | first packet's headers | every payload
 *                 (GSO TCPV4/TCPV6/UDP_L4, F_NEEDS_CSUM, checksum field = folded pseudo-header sum)
 * </pre>
 * What merges follows Linux GRO ({@code tcp_gro_receive}, {@code inet_gro_receive}, {@code ipv6_gro_receive},
 * {@code udp_gro_receive_segment}), conservatively, so that the kernel's segmentation of the result
 * ({@code tcp_gso_segment}, {@code __udp_gso_segment}) gives back the very packets that came in:
 * <ul>
 *   <li>same addresses and ports; on tap the same 14-byte Ethernet header (IPv4/IPv6 ethertypes only);</li>
 *   <li>IPv4: no options, DF set and no fragment, same ToS and TTL, identification +1 per segment;
 *       IPv6: same version/traffic class/flow label and hop limit, next header TCP/UDP (no extension headers);</li>
 *   <li>TCP: flags exactly ACK (ACK|PSH ends the merge), same ACK number, window, urgent pointer, header
 *       length and option bytes, contiguous sequence numbers; UDP: length field = the IP payload;</li>
 *   <li>every payload non-empty and of the first one's size (the MSS, gso_size), except a shorter last one
 *       which ends the merge; at most {@link #MAX_SEGMENTS} segments and {@link #MAX_IP_LENGTH} bytes of IP.</li>
 * </ul>
 * A packet of an open flow that cannot join ends that flow's merge and is placed after it, so the order of
 * each flow's packets is kept. Checksums of merged segments are not verified: each inner packet came out of
 * WireGuard's AEAD intact, byte for byte as its sender wrote it, and with F_NEEDS_CSUM the kernel computes
 * the checksum of every segment anew; a sender's bad checksum would be lost here, a risk Linux's own GRO
 * for virtio and wireguard-go's tun GRO accept too for packets they have authenticated.
 *
 * <p>Not thread-safe: one event loop. No allocation per packet besides the super-packet (and a copy when a
 * zero header cannot be prepended in place); the tables grow to the largest burst and stay.
 */
public final class Coalescer {

    /** Where {@link #flush} puts each packet, its virtio_net_hdr first; ownership passes with it. */
    @FunctionalInterface
    public interface Output {
        void emit(ByteBuf packet);
    }

    /** Open merges kept at once; a new flow beyond them ends the oldest open merge. */
    public static final int FLOW_SLOTS = 16;
    /** Segments per super-packet at most. */
    public static final int MAX_SEGMENTS = 64;
    /** Bytes of IP (header + payload) per super-packet at most: the IPv4 total length's range. */
    public static final int MAX_IP_LENGTH = 65535;

    private static final int IPV4_DF_ONLY = 0x4000;

    private static final int PLAIN = 0;
    private static final int TCP4 = 1;
    private static final int TCP6 = 2;
    private static final int UDP4 = 3;
    private static final int UDP6 = 4;

    private final boolean tcp4;
    private final boolean tcp6;
    private final boolean udp4;
    private final boolean udp6;
    private final int l2;

    // held packets in arrival order and, per packet, the next member of its merge (-1: last)
    private ByteBuf[] held = new ByteBuf[64];
    private int[] next = new int[64];
    private int count;

    // merges in the order of their first packet; plain packets are merges of one
    private int[] first = new int[64];
    private int[] last = new int[64];
    private int[] members = new int[64];
    private int[] kind = new int[64];
    private int[] headerLength = new int[64]; // L2 + L3 + L4 header bytes (hdr_len)
    private int[] segmentSize = new int[64];  // payload of the first segment (gso_size)
    private int[] payload = new int[64];      // payload bytes of all members
    private int[] nextSeq = new int[64];      // TCP sequence number the next member must carry
    private int[] nextId = new int[64];       // IPv4 identification the next member must carry
    private int[] lastFlags = new int[64];
    private int merges;

    // open merges, one per flow
    private final int[] slotMerge = new int[FLOW_SLOTS];
    private final int[] slotHash = new int[FLOW_SLOTS];

    // the packet being parsed (set by classify)
    private int pKind;
    private boolean pMergeable;
    private int pL4;
    private int pHeader;
    private int pPayload;

    /**
     * @param offloads what the device accepts: TCP merges need tso4/tso6, UDP merges uso4/uso6; with none of
     *                 them every packet only gets a zero header
     * @param ethernet true on tap: packets are Ethernet frames
     */
    public Coalescer(DeviceOffloads offloads, boolean ethernet) {
        this.tcp4 = offloads.tso4();
        this.tcp6 = offloads.tso6();
        this.udp4 = offloads.uso4();
        this.udp6 = offloads.uso6();
        this.l2 = ethernet ? ETHERNET_HEADER : 0;
        java.util.Arrays.fill(slotMerge, -1);
    }

    /** Packets held until the next {@link #flush}. */
    public int held() {
        return count;
    }

    /** Holds {@code packet} (readable bytes = one IP packet or Ethernet frame) until {@link #flush}; takes it. */
    public void add(ByteBuf packet) {
        if (count == held.length) {
            growPackets();
        }
        int i = count++;
        held[i] = packet;
        next[i] = -1;
        int k = classify(packet);
        if (k <= PLAIN) {
            if (k < 0) {
                java.util.Arrays.fill(slotMerge, -1);
            }
            open(i, PLAIN);
            return;
        }
        int hash = flowHash(packet, k);
        int slot = findSlot(packet, k, hash);
        if (slot >= 0) {
            int m = slotMerge[slot];
            if (pMergeable && tryJoin(m, i, packet)) {
                if (endsMerge(m)) {
                    slotMerge[slot] = -1;
                }
                return;
            }
            slotMerge[slot] = -1; // the flow's merge ends before this packet
        }
        if (!pMergeable || pPayload == 0) {
            open(i, PLAIN);
            return;
        }
        int m = open(i, k);
        if (!endsMerge(m)) {
            if (slot < 0) {
                slot = freeSlot();
            }
            slotMerge[slot] = m;
            slotHash[slot] = hash;
        }
    }

    /**
     * Emits every held packet to {@code out} (merges in the order of their first packet) and forgets them.
     * Super-packets come from {@code alloc}; merged inputs are released. If {@code out} or {@code alloc}
     * throws, the packets not yet emitted are released.
     */
    public void flush(ByteBufAllocator alloc, Output out) {
        try {
            for (int m = 0; m < merges; m++) {
                int f = first[m];
                ByteBuf packet;
                if (members[m] == 1) {
                    packet = withZeroHeader(alloc, held[f]);
                    held[f] = null;
                } else {
                    packet = build(alloc, m);
                    for (int i = f; i >= 0; i = next[i]) {
                        held[i].release();
                        held[i] = null;
                    }
                }
                out.emit(packet);
            }
        } finally {
            release();
        }
    }

    /** Releases every held packet (device closing or handler removed); returns how many there were. */
    public int release() {
        int released = 0;
        for (int i = 0; i < count; i++) {
            if (held[i] != null) {
                held[i].release();
                held[i] = null;
                released++;
            }
        }
        count = 0;
        merges = 0;
        java.util.Arrays.fill(slotMerge, -1);
        return released;
    }

    /** A plain packet behind an all-zero header: written before it in place when the buffer allows, else copied. */
    static ByteBuf withZeroHeader(ByteBufAllocator alloc, ByteBuf packet) {
        if (PacketRoom.canPrepend(packet, VirtioNetHdr.LENGTH)) {
            int at = packet.readerIndex() - VirtioNetHdr.LENGTH;
            VirtioNetHdr.setNone(packet, at);
            packet.readerIndex(at);
            return packet;
        }
        ByteBuf copy = alloc.directBuffer(VirtioNetHdr.LENGTH + packet.readableBytes());
        try {
            copy.writeZero(VirtioNetHdr.LENGTH).writeBytes(packet, packet.readerIndex(), packet.readableBytes());
        } finally {
            packet.release();
        }
        return copy;
    }

    // ---- parsing ----

    /**
     * Sets pKind (the flow's kind, PLAIN when it has none Culvert merges), pL4 (where its ports are), and when
     * it may join or open a merge pMergeable, pHeader and pPayload; offsets are from the reader index.
     * Returns pKind, or -1 for a packet that may belong to a TCP/UDP flow whose ports cannot be found
     * (IPv6 extension headers): it ends every open merge, keeping every flow's order.
     */
    private int classify(ByteBuf p) {
        pKind = PLAIN;
        pMergeable = false;
        pPayload = 0;
        int base = p.readerIndex();
        int length = p.readableBytes();
        int version;
        if (l2 != 0) {
            if (length < ETHERNET_HEADER) {
                return PLAIN;
            }
            int type = p.getUnsignedShort(base + 12);
            version = type == ETHERTYPE_IPV4 ? 4 : type == ETHERTYPE_IPV6 ? 6 : 0;
        } else {
            version = length > 0 ? (p.getUnsignedByte(base) >>> 4) : 0;
        }
        int ip = base + l2;
        int l4;
        int protocol;
        boolean ipMergeable;
        if (version == 4) {
            if (length < l2 + IPV4_HEADER || (p.getUnsignedByte(ip) >>> 4) != 4) {
                return PLAIN;
            }
            protocol = p.getUnsignedByte(ip + 9);
            if (protocol == PROTO_TCP ? !tcp4 : protocol != PROTO_UDP || !udp4) {
                return PLAIN;
            }
            int fragment = p.getUnsignedShort(ip + 6);
            if ((fragment & 0x1FFF) != 0) {
                return PLAIN; // a later fragment: no ports, and fragments are never merged
            }
            l4 = l2 + (p.getUnsignedByte(ip) & 0x0F) * 4;
            if (l4 < l2 + IPV4_HEADER) {
                return PLAIN;
            }
            ipMergeable = l4 == l2 + IPV4_HEADER && fragment == IPV4_DF_ONLY
                    && l2 + p.getUnsignedShort(ip + 2) == length;
        } else if (version == 6) {
            if (length < l2 + IPV6_HEADER || (p.getUnsignedByte(ip) >>> 4) != 6) {
                return PLAIN;
            }
            protocol = p.getUnsignedByte(ip + 6);
            if (protocol == PROTO_TCP ? !tcp6 : protocol != PROTO_UDP || !udp6) {
                return extensionHeader(protocol) && (tcp6 || udp6) ? -1 : PLAIN;
            }
            l4 = l2 + IPV6_HEADER;
            ipMergeable = l2 + IPV6_HEADER + p.getUnsignedShort(ip + 4) == length;
        } else {
            return PLAIN;
        }
        if (length < l4 + 4) {
            return PLAIN;
        }
        pL4 = l4;
        if (protocol == PROTO_TCP) {
            pKind = version == 4 ? TCP4 : TCP6;
            if (length < l4 + TCP_HEADER) {
                return pKind;
            }
            int dataOffset = (p.getUnsignedByte(base + l4 + 12) >>> 4) * 4;
            int flags = p.getUnsignedByte(base + l4 + 13);
            pHeader = l4 + dataOffset;
            pMergeable = ipMergeable && dataOffset >= TCP_HEADER && length >= pHeader
                    && (flags == TCP_ACK || flags == (TCP_ACK | TCP_PSH));
        } else {
            pKind = version == 4 ? UDP4 : UDP6;
            pHeader = l4 + UDP_HEADER;
            pMergeable = ipMergeable && length >= pHeader && p.getUnsignedShort(base + l4 + 4) == length - l4;
        }
        if (pMergeable) {
            pPayload = length - pHeader;
        }
        return pKind;
    }

    /** IPv6 next-header values that are extension headers (RFC 8200 §4, RFC 7045). */
    private static boolean extensionHeader(int nextHeader) {
        return switch (nextHeader) {
            case 0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254 -> true;
            default -> false;
        };
    }

    private int flowHash(ByteBuf p, int k) {
        int base = p.readerIndex();
        int h = p.getInt(base + pL4) * 31 + k; // both ports
        if (k == TCP4 || k == UDP4) {
            long addresses = p.getLong(base + l2 + 12);
            h = h * 31 + (int) (addresses ^ (addresses >>> 32));
        } else {
            for (int at = base + l2 + 8; at < base + l2 + 40; at += 8) {
                long v = p.getLong(at);
                h = h * 31 + (int) (v ^ (v >>> 32));
            }
        }
        return h;
    }

    /** The slot of the open merge of {@code p}'s flow (addresses, ports, protocol), or -1. */
    private int findSlot(ByteBuf p, int k, int hash) {
        for (int s = 0; s < FLOW_SLOTS; s++) {
            int m = slotMerge[s];
            if (m >= 0 && slotHash[s] == hash && kind[m] == k && sameFlow(held[first[m]], p, k)) {
                return s;
            }
        }
        return -1;
    }

    /** Whether {@code p} (just classified) has the addresses and ports of {@code f}, a merge's first packet. */
    private boolean sameFlow(ByteBuf f, ByteBuf p, int k) {
        int fb = f.readerIndex();
        int pb = p.readerIndex();
        boolean v4 = k == TCP4 || k == UDP4;
        if (f.getInt(fb + l2 + (v4 ? IPV4_HEADER : IPV6_HEADER)) != p.getInt(pb + pL4)) {
            return false;
        }
        int from = l2 + (v4 ? 12 : 8);
        return equal(f, fb + from, p, pb + from, v4 ? 8 : 32);
    }

    private int freeSlot() {
        int oldest = 0;
        for (int s = 0; s < FLOW_SLOTS; s++) {
            if (slotMerge[s] < 0) {
                return s;
            }
            if (slotMerge[s] < slotMerge[oldest]) {
                oldest = s;
            }
        }
        return oldest; // its merge ends here
    }

    // ---- merging ----

    private int open(int i, int k) {
        if (merges == first.length) {
            growMerges();
        }
        int m = merges++;
        first[m] = i;
        last[m] = i;
        members[m] = 1;
        kind[m] = k;
        if (k != PLAIN) {
            ByteBuf p = held[i];
            int base = p.readerIndex();
            headerLength[m] = pHeader;
            segmentSize[m] = pPayload;
            payload[m] = pPayload;
            if (k == TCP4 || k == TCP6) {
                nextSeq[m] = p.getInt(base + pL4 + 4) + pPayload;
                lastFlags[m] = p.getUnsignedByte(base + pL4 + 13);
            } else {
                lastFlags[m] = 0;
            }
            if (k == TCP4 || k == UDP4) {
                nextId[m] = (p.getUnsignedShort(base + l2 + 4) + 1) & 0xFFFF;
            }
        }
        return m;
    }

    /** Whether merge {@code m} takes no more members. */
    private boolean endsMerge(int m) {
        return payload[m] < segmentSize[m] * members[m] || (lastFlags[m] & TCP_PSH) != 0
                || members[m] == MAX_SEGMENTS
                || headerLength[m] - l2 + payload[m] + segmentSize[m] > MAX_IP_LENGTH;
    }

    /** Appends packet {@code i} (just classified, same flow) to merge {@code m} if every rule allows. */
    private boolean tryJoin(int m, int i, ByteBuf p) {
        if (pHeader != headerLength[m] || pPayload == 0 || pPayload > segmentSize[m]
                || headerLength[m] - l2 + payload[m] + pPayload > MAX_IP_LENGTH) {
            return false;
        }
        ByteBuf f = held[first[m]];
        int fb = f.readerIndex();
        int pb = p.readerIndex();
        if (l2 != 0 && !equal(f, fb, p, pb, ETHERNET_HEADER)) {
            return false;
        }
        int ip = l2;
        int k = kind[m];
        if (k == TCP4 || k == UDP4) {
            if (f.getByte(fb + ip + 1) != p.getByte(pb + ip + 1) // ToS
                    || f.getByte(fb + ip + 8) != p.getByte(pb + ip + 8) // TTL
                    || p.getUnsignedShort(pb + ip + 4) != nextId[m]) {
                return false;
            }
        } else if (f.getInt(fb + ip) != p.getInt(pb + ip) // version, traffic class, flow label
                || f.getByte(fb + ip + 7) != p.getByte(pb + ip + 7)) { // hop limit
            return false;
        }
        int l4 = pL4;
        int flags = 0;
        if (k == TCP4 || k == TCP6) {
            flags = p.getUnsignedByte(pb + l4 + 13);
            if (p.getInt(pb + l4 + 4) != nextSeq[m]
                    || f.getInt(fb + l4 + 8) != p.getInt(pb + l4 + 8) // ACK number
                    || f.getByte(fb + l4 + 12) != p.getByte(pb + l4 + 12) // data offset, reserved bits
                    || f.getShort(fb + l4 + 14) != p.getShort(pb + l4 + 14) // window
                    || f.getShort(fb + l4 + 18) != p.getShort(pb + l4 + 18) // urgent pointer
                    || !equal(f, fb + l4 + TCP_HEADER, p, pb + l4 + TCP_HEADER, pHeader - l4 - TCP_HEADER)) {
                return false;
            }
            nextSeq[m] += pPayload;
        }
        if (k == TCP4 || k == UDP4) {
            nextId[m] = (nextId[m] + 1) & 0xFFFF;
        }
        next[last[m]] = i;
        last[m] = i;
        members[m]++;
        payload[m] += pPayload;
        lastFlags[m] = flags;
        return true;
    }

    /** One super-packet from merge {@code m}: header, the first packet's headers, every member's payload. */
    private ByteBuf build(ByteBufAllocator alloc, int m) {
        int header = headerLength[m];
        int total = header + payload[m];
        ByteBuf f = held[first[m]];
        ByteBuf out = alloc.directBuffer(VirtioNetHdr.LENGTH + total);
        out.writeZero(VirtioNetHdr.LENGTH);
        out.writeBytes(f, f.readerIndex(), header);
        for (int i = first[m]; i >= 0; i = next[i]) {
            ByteBuf p = held[i];
            out.writeBytes(p, p.readerIndex() + header, p.readableBytes() - header);
        }
        int ip = VirtioNetHdr.LENGTH + l2;
        int k = kind[m];
        boolean v4 = k == TCP4 || k == UDP4;
        boolean tcp = k == TCP4 || k == TCP6;
        int l4 = VirtioNetHdr.LENGTH + (v4 ? l2 + IPV4_HEADER : l2 + IPV6_HEADER);
        int l4Length = VirtioNetHdr.LENGTH + total - l4;
        if (v4) {
            out.setShort(ip + 2, total - l2);
            out.setShort(ip + 10, Checksums.ipv4Header(out, ip, IPV4_HEADER));
        } else {
            out.setShort(ip + 4, l4Length);
        }
        int protocol;
        int checksumOffset;
        int gsoType;
        if (tcp) {
            ByteBuf lastPacket = held[last[m]];
            int flags = out.getUnsignedByte(l4 + 13)
                    | (lastPacket.getUnsignedByte(lastPacket.readerIndex() + l4 - VirtioNetHdr.LENGTH + 13) & TCP_PSH);
            out.setByte(l4 + 13, flags);
            protocol = PROTO_TCP;
            checksumOffset = TCP_CHECKSUM;
            gsoType = v4 ? VirtioNetHdr.GSO_TCPV4 : VirtioNetHdr.GSO_TCPV6;
        } else {
            out.setShort(l4 + 4, l4Length);
            protocol = PROTO_UDP;
            checksumOffset = UDP_CHECKSUM;
            gsoType = VirtioNetHdr.GSO_UDP_L4;
        }
        // CHECKSUM_PARTIAL: the field holds the folded (not complemented) pseudo-header sum; the kernel adds
        // the L4 header and payload of each segment and stores the complement (skb_checksum_help)
        long pseudo = v4 ? Checksums.pseudoHeaderV4(out, ip, protocol, l4Length)
                : Checksums.pseudoHeaderV6(out, ip, protocol, l4Length);
        out.setShort(l4 + checksumOffset, Checksums.fold(pseudo));
        VirtioNetHdr.set(out, 0, VirtioNetHdr.F_NEEDS_CSUM, gsoType, header, segmentSize[m],
                l4 - VirtioNetHdr.LENGTH, checksumOffset);
        return out;
    }

    private static boolean equal(ByteBuf a, int ai, ByteBuf b, int bi, int length) {
        int n = 0;
        for (; n + 8 <= length; n += 8) {
            if (a.getLong(ai + n) != b.getLong(bi + n)) {
                return false;
            }
        }
        for (; n < length; n++) {
            if (a.getByte(ai + n) != b.getByte(bi + n)) {
                return false;
            }
        }
        return true;
    }

    private void growPackets() {
        int n = held.length * 2;
        held = java.util.Arrays.copyOf(held, n);
        next = java.util.Arrays.copyOf(next, n);
    }

    private void growMerges() {
        int n = first.length * 2;
        first = java.util.Arrays.copyOf(first, n);
        last = java.util.Arrays.copyOf(last, n);
        members = java.util.Arrays.copyOf(members, n);
        kind = java.util.Arrays.copyOf(kind, n);
        headerLength = java.util.Arrays.copyOf(headerLength, n);
        segmentSize = java.util.Arrays.copyOf(segmentSize, n);
        payload = java.util.Arrays.copyOf(payload, n);
        nextSeq = java.util.Arrays.copyOf(nextSeq, n);
        nextId = java.util.Arrays.copyOf(nextId, n);
        lastFlags = java.util.Arrays.copyOf(lastFlags, n);
    }
}
