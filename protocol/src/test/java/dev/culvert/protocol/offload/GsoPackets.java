package dev.culvert.protocol.offload;

import dev.culvert.protocol.wire.PacketRoom;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Builds super-packets as a tun/tap device with offloads hands them over (virtio-net header at the headroom, the
 * TCP/UDP checksum field holding a partial value), and checks segments with a checksum written out byte by byte
 * here, independent of {@link Checksums}.
 */
final class GsoPackets {
    private GsoPackets() {}

    static final byte[] SRC4 = {(byte) 198, 18, 0, 1};
    static final byte[] DST4 = {(byte) 198, 18, 0, 2};
    static final byte[] SRC6 = {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static final byte[] DST6 = {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    /** NOP, NOP, timestamps (kind 8, length 10, TSval, TSecr): what Linux sends on every segment. */
    static final byte[] TIMESTAMPS = {1, 1, 8, 10, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
    static final long SEQ = 0xFFFFF000L; // wraps within a 64 KB super-packet
    static final int IP_ID = 0xFFFE; // wraps after two segments

    static final int FIN = 0x01;
    static final int PSH = 0x08;
    static final int ACK = 0x10;
    static final int CWR = 0x80;

    /** How to build one super-packet. {@code link}: 0 (tun), 14 (Ethernet) or 18 (Ethernet with 802.1Q tag). */
    record Spec(int link, boolean v6, boolean tcp, byte[] tcpOptions, int payload, int gsoSize, int tcpFlags,
                boolean ecn, byte[] ipOptions) {
        static Spec tcp4(int payload, int gsoSize) {
            return new Spec(0, false, true, TIMESTAMPS, payload, gsoSize, ACK | PSH | FIN, false, new byte[0]);
        }

        static Spec tcp6(int payload, int gsoSize) {
            return new Spec(0, true, true, TIMESTAMPS, payload, gsoSize, ACK | PSH | FIN, false, new byte[0]);
        }

        static Spec udp4(int payload, int gsoSize) {
            return new Spec(0, false, false, new byte[0], payload, gsoSize, 0, false, new byte[0]);
        }

        static Spec udp6(int payload, int gsoSize) {
            return new Spec(0, true, false, new byte[0], payload, gsoSize, 0, false, new byte[0]);
        }

        Spec link(int bytes) {
            return new Spec(bytes, v6, tcp, tcpOptions, payload, gsoSize, tcpFlags, ecn, ipOptions);
        }

        Spec flags(int flags, boolean ecnBit) {
            return new Spec(link, v6, tcp, tcpOptions, payload, gsoSize, flags, ecnBit, ipOptions);
        }

        /** IPv4 only: options after the 20-byte header (a multiple of 4 bytes), copied into every segment. */
        Spec ipOptions(byte[] options) {
            return new Spec(link, v6, tcp, tcpOptions, payload, gsoSize, tcpFlags, ecn, options);
        }

        int ipHeader() {
            return v6 ? 40 : 20 + ipOptions.length;
        }

        int l4Header() {
            return tcp ? 20 + tcpOptions.length : 8;
        }

        int headers() {
            return link + ipHeader() + l4Header();
        }

        int gsoType() {
            int type = tcp ? (v6 ? VirtioNetHdr.GSO_TCPV6 : VirtioNetHdr.GSO_TCPV4) : VirtioNetHdr.GSO_UDP_L4;
            return ecn ? type | VirtioNetHdr.GSO_ECN : type;
        }
    }

    static byte payloadByte(int i) {
        return (byte) (i * 31 + 7);
    }

    /** The packet as read from the device: readerIndex at the virtio-net header, which sits at the headroom. */
    static ByteBuf build(Spec s) {
        int total = s.headers() + s.payload;
        ByteBuf b = Unpooled.directBuffer(PacketRoom.HEADROOM + VirtioNetHdr.LENGTH + total + PacketRoom.TAILROOM);
        b.setIndex(PacketRoom.HEADROOM, PacketRoom.HEADROOM);
        int at = b.writerIndex();
        b.writeZero(VirtioNetHdr.LENGTH);
        int base = b.writerIndex();
        if (s.link > 0) {
            b.writeBytes(new byte[] {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1});
            if (s.link == 18) {
                b.writeShort(0x8100).writeShort(0x0064);
            }
            b.writeShort(s.v6 ? 0x86DD : 0x0800);
        }
        int ip = b.writerIndex();
        int protocol = s.tcp ? 6 : 17;
        int l4Length = s.l4Header() + s.payload;
        if (s.v6) {
            b.writeInt(0x60A12345).writeShort(l4Length).writeByte(protocol).writeByte(64);
            b.writeBytes(SRC6).writeBytes(DST6);
        } else {
            int ihl = s.ipHeader();
            b.writeByte(0x40 | ihl / 4).writeByte(0x02).writeShort(ihl + l4Length).writeShort(IP_ID)
                    .writeShort(0x4000).writeByte(64).writeByte(protocol).writeShort(0).writeBytes(SRC4)
                    .writeBytes(DST4).writeBytes(s.ipOptions);
            b.setShort(ip + 10, ~sum16(b, ip, ip + ihl, 0) & 0xFFFF);
        }
        int l4 = b.writerIndex();
        if (s.tcp) {
            b.writeShort(40000).writeShort(5201).writeInt((int) SEQ).writeInt(0x11223344)
                    .writeByte((s.l4Header() / 4) << 4).writeByte(s.tcpFlags).writeShort(0x1F5A).writeShort(0)
                    .writeShort(0).writeBytes(s.tcpOptions);
        } else {
            b.writeShort(40000).writeShort(5201).writeShort(l4Length).writeShort(0);
        }
        for (int i = 0; i < s.payload; i++) {
            b.writeByte(payloadByte(i));
        }
        // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum (here of the whole super-packet).
        int partial = fold(pseudo(b, ip, s.v6, protocol, l4Length));
        b.setShort(l4 + (s.tcp ? 16 : 6), partial);
        VirtioNetHdr.set(b, at, VirtioNetHdr.F_NEEDS_CSUM, s.gsoType(), s.headers(), s.gsoSize, l4 - base,
                s.tcp ? 16 : 6);
        return b;
    }

    /** One's complement sum of 16-bit big-endian words of [from, to), an odd last byte padded, folded. */
    static int sum16(ByteBuf b, int from, int to, long initial) {
        long s = initial;
        for (int i = from; i < to; i += 2) {
            int hi = b.getUnsignedByte(i);
            int lo = i + 1 < to ? b.getUnsignedByte(i + 1) : 0;
            s += (hi << 8) | lo;
        }
        return fold(s);
    }

    static int fold(long s) {
        while ((s >>> 16) != 0) {
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return (int) s;
    }

    static long pseudo(ByteBuf b, int ip, boolean v6, int protocol, int l4Length) {
        int addresses = v6 ? 32 : 8;
        int from = ip + (v6 ? 8 : 12);
        return sum16(b, from, from + addresses, 0) + protocol + l4Length;
    }

    /**
     * Checks that {@code seg} (readerIndex at the frame or packet) is a well-formed segment: lengths agree with
     * the buffer, the IPv4 header checksum and the TCP/UDP checksum verify, it fits {@code maxPacket}, and the
     * buffer has the agreed head- and tailroom. Returns the L4 header's offset from the segment's start.
     */
    static int verifySegment(ByteBuf seg, int link, int maxPacket) {
        assertThat(seg.refCnt()).isEqualTo(1);
        assertThat(seg.readerIndex()).isEqualTo(PacketRoom.HEADROOM);
        assertThat(seg.maxWritableBytes()).isGreaterThanOrEqualTo(PacketRoom.TAILROOM);
        assertThat(seg.capacity() - seg.writerIndex()).isGreaterThanOrEqualTo(PacketRoom.TAILROOM);
        assertThat(seg.readableBytes()).isLessThanOrEqualTo(maxPacket);
        int ip = seg.readerIndex() + link;
        int end = seg.writerIndex();
        int version = seg.getUnsignedByte(ip) >>> 4;
        int protocol;
        int l4;
        if (version == 4) {
            int ihl = (seg.getUnsignedByte(ip) & 0x0F) * 4;
            assertThat(seg.getUnsignedShort(ip + 2)).as("IPv4 total length").isEqualTo(end - ip);
            assertThat(sum16(seg, ip, ip + ihl, 0)).as("IPv4 header checksum").isEqualTo(0xFFFF);
            protocol = seg.getUnsignedByte(ip + 9);
            l4 = ip + ihl;
        } else {
            assertThat(version).isEqualTo(6);
            assertThat(seg.getUnsignedShort(ip + 4)).as("IPv6 payload length").isEqualTo(end - ip - 40);
            protocol = seg.getUnsignedByte(ip + 6);
            l4 = ip + 40;
        }
        if (protocol == 17) {
            assertThat(seg.getUnsignedShort(l4 + 4)).as("UDP length").isEqualTo(end - l4);
            assertThat(seg.getUnsignedShort(l4 + 6)).as("UDP checksum present").isNotZero();
        } else {
            assertThat(protocol).isEqualTo(6);
        }
        int check = sum16(seg, l4, end, pseudo(seg, ip, version == 6, protocol, end - l4));
        assertThat(check).as("L4 checksum").isEqualTo(0xFFFF);
        return l4 - seg.readerIndex();
    }
}
