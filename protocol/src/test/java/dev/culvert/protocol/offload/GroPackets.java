package dev.culvert.protocol.offload;

import dev.culvert.protocol.wire.PacketRoom;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.util.ArrayList;
import java.util.List;

/**
 * Test packets for coalescing with valid checksums, and an independent reference of what the kernel does with
 * a super-packet (segment it as tcp_gso_segment / __udp_gso_segment would, and complete a partial checksum as
 * skb_checksum_help would). Checksums here are a plain byte loop, not {@link Checksums}.
 */
final class GroPackets {
    private GroPackets() {}

    static final int TCP = 6;
    static final int UDP = 17;
    static final int ACK = 0x10;
    static final int PSH = 0x08;
    static final int SYN = 0x02;
    static final int FIN = 0x01;
    static final int RST = 0x04;
    static final int URG = 0x20;
    /** NOP NOP timestamps (RFC 7323): a Linux data segment's options. */
    static final byte[] TIMESTAMPS = {1, 1, 8, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0};

    /** One packet to build; fields are mutable so that a test derives a variant with one change. */
    static final class Spec implements Cloneable {
        boolean v6;
        int protocol = TCP;
        byte[] src = {(byte) 198, 18, 0, 1};
        byte[] dst = {(byte) 198, 18, 0, 2};
        int sport = 40000;
        int dport = 5201;
        int seq = 0x7FFF_FF00; // crosses 2^31 within a few segments
        int ack = 0x1234_5678;
        int flags = ACK;
        int window = 502;
        int urgent;
        byte[] options = TIMESTAMPS;
        int ttl = 64;
        int tos;
        int flowLabel = 0x12345;
        int id = 0xFFFE; // wraps within a few segments
        int fragment = 0x4000; // DF
        byte[] ipOptions = {};
        int payload = 1000;
        byte[] ethernet; // tap: a 14-byte Ethernet header, ethertype filled in
        int headroom = PacketRoom.HEADROOM;

        Spec v6() {
            v6 = true;
            src = new byte[16];
            dst = new byte[16];
            src[0] = 0x20;
            src[1] = 0x01;
            src[2] = 0x0d;
            src[3] = (byte) 0xb8;
            src[15] = 1;
            System.arraycopy(src, 0, dst, 0, 16);
            dst[15] = 2;
            return this;
        }

        Spec udp() {
            protocol = UDP;
            return this;
        }

        Spec tap() {
            ethernet = new byte[] {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0, 0};
            return this;
        }

        Spec copy() {
            try {
                Spec s = (Spec) super.clone();
                s.src = src.clone();
                s.dst = dst.clone();
                return s;
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);
            }
        }

        /** The next segment of the flow: sequence and IPv4 identification advanced. */
        Spec next() {
            Spec s = copy();
            s.seq = seq + payload;
            s.id = (id + 1) & 0xFFFF;
            return s;
        }

        Spec with(java.util.function.Consumer<Spec> change) {
            Spec s = copy();
            change.accept(s);
            return s;
        }

        byte[] bytes() {
            int l4Header = protocol == TCP ? 20 + options.length : 8;
            int ipHeader = v6 ? 40 : 20 + ipOptions.length;
            int l2 = ethernet == null ? 0 : 14;
            byte[] b = new byte[l2 + ipHeader + l4Header + payload];
            if (ethernet != null) {
                System.arraycopy(ethernet, 0, b, 0, 14);
                put16(b, 12, v6 ? 0x86DD : 0x0800);
            }
            int ip = l2;
            int l4 = ip + ipHeader;
            if (v6) {
                put32(b, ip, 0x6000_0000 | (tos << 20) | flowLabel);
                put16(b, ip + 4, l4Header + payload);
                b[ip + 6] = (byte) protocol;
                b[ip + 7] = (byte) ttl;
                System.arraycopy(src, 0, b, ip + 8, 16);
                System.arraycopy(dst, 0, b, ip + 24, 16);
            } else {
                b[ip] = (byte) (0x40 | (ipHeader / 4));
                b[ip + 1] = (byte) tos;
                put16(b, ip + 2, ipHeader + l4Header + payload);
                put16(b, ip + 4, id);
                put16(b, ip + 6, fragment);
                b[ip + 8] = (byte) ttl;
                b[ip + 9] = (byte) protocol;
                System.arraycopy(src, 0, b, ip + 12, 4);
                System.arraycopy(dst, 0, b, ip + 16, 4);
                System.arraycopy(ipOptions, 0, b, ip + 20, ipOptions.length);
            }
            put16(b, l4, sport);
            put16(b, l4 + 2, dport);
            if (protocol == TCP) {
                put32(b, l4 + 4, seq);
                put32(b, l4 + 8, ack);
                b[l4 + 12] = (byte) ((l4Header / 4) << 4);
                b[l4 + 13] = (byte) flags;
                put16(b, l4 + 14, window);
                put16(b, l4 + 18, urgent);
                System.arraycopy(options, 0, b, l4 + 20, options.length);
            } else {
                put16(b, l4 + 4, l4Header + payload);
            }
            for (int i = 0; i < payload; i++) {
                b[l4 + l4Header + i] = (byte) ((seq + i) * 7 + (i >>> 8));
            }
            finishChecksums(b, l2);
            return b;
        }

        ByteBuf buf() {
            byte[] b = bytes();
            ByteBuf buf = Unpooled.buffer(headroom + b.length + PacketRoom.TAILROOM);
            buf.writerIndex(headroom).readerIndex(headroom);
            return buf.writeBytes(b);
        }
    }

    /** Fills in the IPv4 header checksum and the TCP/UDP checksum of a complete packet at {@code l2}. */
    static void finishChecksums(byte[] b, int l2) {
        boolean v6 = (b[l2] & 0xF0) == 0x60;
        int ipHeader = v6 ? 40 : (b[l2] & 0x0F) * 4;
        int protocol = v6 ? b[l2 + 6] : b[l2 + 9];
        int l4 = l2 + ipHeader;
        if (!v6) {
            put16(b, l2 + 10, 0);
            put16(b, l2 + 10, ~sum(b, l2, ipHeader, 0) & 0xFFFF);
        }
        int at = l4 + (protocol == TCP ? 16 : 6);
        put16(b, at, 0);
        int check = ~sum(b, l4, b.length - l4, pseudo(b, l2, protocol, b.length - l4)) & 0xFFFF;
        put16(b, at, check == 0 && protocol == UDP ? 0xFFFF : check);
    }

    /** True if the TCP/UDP checksum of the packet at {@code l2} (to the end of {@code b}) verifies. */
    static boolean l4ChecksumValid(byte[] b, int l2) {
        boolean v6 = (b[l2] & 0xF0) == 0x60;
        int ipHeader = v6 ? 40 : (b[l2] & 0x0F) * 4;
        int protocol = v6 ? b[l2 + 6] : b[l2 + 9];
        int l4 = l2 + ipHeader;
        return sum(b, l4, b.length - l4, pseudo(b, l2, protocol, b.length - l4)) == 0xFFFF;
    }

    static int pseudo(byte[] b, int l2, int protocol, int l4Length) {
        boolean v6 = (b[l2] & 0xF0) == 0x60;
        int s = v6 ? sum(b, l2 + 8, 32, 0) : sum(b, l2 + 12, 8, 0);
        return fold(s + protocol + l4Length);
    }

    /** RFC 1071 one's complement sum (folded, not complemented), byte by byte. */
    static int sum(byte[] b, int from, int length, int initial) {
        long s = initial;
        for (int i = 0; i < length; i++) {
            int v = b[from + i] & 0xFF;
            s += (i & 1) == 0 ? v << 8 : v;
        }
        return fold(s);
    }

    static int fold(long s) {
        while ((s >>> 16) != 0) {
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return (int) s;
    }

    /**
     * What the kernel makes of a written packet (readable bytes = virtio_net_hdr + packet): with gso_type NONE
     * the packet itself; else its segments by gso_size, each with the first's headers, lengths and IPv4
     * identification and sequence number advanced, PSH/FIN only on the last, and all checksums complete.
     */
    static List<byte[]> segment(ByteBuf written, int l2) {
        byte[] all = new byte[written.readableBytes()];
        written.getBytes(written.readerIndex(), all);
        int flags = all[0] & 0xFF;
        int gsoType = all[1] & 0xFF;
        int hdrLen = (all[2] & 0xFF) | (all[3] & 0xFF) << 8;
        int gsoSize = (all[4] & 0xFF) | (all[5] & 0xFF) << 8;
        byte[] packet = java.util.Arrays.copyOfRange(all, 10, all.length);
        List<byte[]> out = new ArrayList<>();
        if (gsoType == 0) {
            if (flags != 0) {
                throw new AssertionError("GSO_NONE with flags " + flags);
            }
            out.add(packet);
            return out;
        }
        boolean v6 = (packet[l2] & 0xF0) == 0x60;
        int ipHeader = v6 ? 40 : (packet[l2] & 0x0F) * 4;
        int l4 = l2 + ipHeader;
        boolean tcp = gsoType != VirtioNetHdr.GSO_UDP_L4;
        int originalFlags = tcp ? packet[l4 + 13] & 0xFF : 0;
        int seq = tcp ? get32(packet, l4 + 4) : 0;
        int id = v6 ? 0 : get16(packet, l2 + 4);
        int payload = packet.length - hdrLen;
        for (int off = 0, i = 0; off < payload; off += gsoSize, i++) {
            int n = Math.min(gsoSize, payload - off);
            byte[] s = new byte[hdrLen + n];
            System.arraycopy(packet, 0, s, 0, hdrLen);
            System.arraycopy(packet, hdrLen + off, s, hdrLen, n);
            if (v6) {
                put16(s, l2 + 4, s.length - l2 - 40);
            } else {
                put16(s, l2 + 2, s.length - l2);
                put16(s, l2 + 4, id + i);
            }
            if (tcp) {
                put32(s, l4 + 4, seq + off);
                boolean lastOne = off + n == payload;
                s[l4 + 13] = (byte) (lastOne ? originalFlags : originalFlags & ~(PSH | FIN));
            } else {
                put16(s, l4 + 4, s.length - l4);
            }
            finishChecksums(s, l2);
            out.add(s);
        }
        return out;
    }

    /**
     * The packet of a written NEEDS_CSUM super-packet with its checksum completed as skb_checksum_help does:
     * the sum from csum_start to the end (the field holding the partial pseudo-header sum), complemented,
     * stored at csum_start + csum_offset.
     */
    static byte[] completePartialChecksum(ByteBuf written) {
        byte[] all = new byte[written.readableBytes()];
        written.getBytes(written.readerIndex(), all);
        int csumStart = (all[6] & 0xFF) | (all[7] & 0xFF) << 8;
        int csumOffset = (all[8] & 0xFF) | (all[9] & 0xFF) << 8;
        byte[] packet = java.util.Arrays.copyOfRange(all, 10, all.length);
        int check = ~sum(packet, csumStart, packet.length - csumStart, 0) & 0xFFFF;
        put16(packet, csumStart + csumOffset, check);
        return packet;
    }

    static void put16(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 8);
        b[at + 1] = (byte) v;
    }

    static void put32(byte[] b, int at, int v) {
        put16(b, at, v >>> 16);
        put16(b, at + 2, v);
    }

    static int get16(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | (b[at + 1] & 0xFF);
    }

    static int get32(byte[] b, int at) {
        return get16(b, at) << 16 | get16(b, at + 2);
    }
}
