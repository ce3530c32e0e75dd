package dev.culvert.protocol.offload;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Known answers for {@link MssClamp}: IPv4 and IPv6, SYN and SYN-ACK, tun packets and tap frames (802.1Q too), the
 * option walk (NOP, EOL, SACK-permitted, timestamps, malformed and truncated options), and what must stay
 * untouched. Every checksum is checked by a plain RFC 1071 sum written here, not by {@link Checksums}.
 */
class MssClampTest {
    private static final int SYN = 0x02;
    private static final int ACK = 0x10;
    private static final byte[] MSS_1460 = {2, 4, 0x05, (byte) 0xB4};
    private static final byte[] SACK_PERMITTED = {4, 2};
    private static final byte[] TIMESTAMPS = {8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0};
    private static final byte[] WINDOW_SCALE = {3, 3, 7};
    private static final byte NOP = 1;
    private static final byte EOL = 0;

    @Test
    void ipv4SynIsClampedAndItsChecksumStaysRight() {
        ByteBuf packet = ipv4(tcp(SYN, cat(MSS_1460, SACK_PERMITTED, TIMESTAMPS, new byte[] {NOP}, WINDOW_SCALE)));
        assertThat(validIpv4(packet)).isTrue();

        assertThat(MssClamp.clamp(packet, false, 1380, 1360)).isTrue();

        assertThat(mssAt(packet, 20)).isEqualTo(1380);
        assertThat(validIpv4(packet)).as("TCP checksum after the rewrite").isTrue();
    }

    @Test
    void ipv4SynAckIsClampedToo() {
        ByteBuf packet = ipv4(tcp(SYN | ACK, cat(MSS_1460, new byte[] {NOP, NOP}, SACK_PERMITTED)));

        assertThat(MssClamp.clamp(packet, false, 1380, 1360)).isTrue();

        assertThat(mssAt(packet, 20)).isEqualTo(1380);
        assertThat(validIpv4(packet)).isTrue();
    }

    @Test
    void ipv6SynAndSynAckAreClampedToTheIpv6Value() {
        for (int flags : new int[] {SYN, SYN | ACK}) {
            ByteBuf packet = ipv6(tcp(flags, cat(mss(1440), SACK_PERMITTED, TIMESTAMPS)), null);
            assertThat(validIpv6(packet, 40)).isTrue();

            assertThat(MssClamp.clamp(packet, false, 1380, 1360)).isTrue();

            assertThat(mssAt(packet, 40)).isEqualTo(1360);
            assertThat(validIpv6(packet, 40)).isTrue();
        }
    }

    @Test
    void ipv6AfterAHopByHopHeaderIsFound() {
        byte[] hopByHop = {6, 0, 1, 4, 0, 0, 0, 0}; // next: TCP; PadN
        ByteBuf packet = ipv6(tcp(SYN, mss(8940)), hopByHop);

        assertThat(MssClamp.clamp(packet, false, 1380, 1360)).isTrue();

        assertThat(mssAt(packet, 48)).isEqualTo(1360);
        assertThat(validIpv6(packet, 48)).isTrue();
    }

    @Test
    void anMssAtAnOddOffsetIsRewrittenWithTheRightChecksum() {
        // NOP, then MSS: the value sits at TCP offset 23, straddling two checksum words.
        ByteBuf packet = ipv4(tcp(SYN, cat(new byte[] {NOP}, MSS_1460, new byte[] {NOP, NOP, NOP})));

        assertThat(MssClamp.clamp(packet, false, 1200, 0)).isTrue();

        assertThat(packet.getUnsignedShort(20 + 23)).isEqualTo(1200);
        assertThat(validIpv4(packet)).isTrue();
    }

    @Test
    void everyPlacementAndValueKeepsTheChecksumRight() {
        Random random = new Random(13);
        for (int round = 0; round < 2000; round++) {
            int nops = random.nextInt(8);
            int old = 537 + random.nextInt(65000);
            int clamp = 536 + random.nextInt(old - 536);
            byte[] options = cat(new byte[nops], mss(old), SACK_PERMITTED);
            java.util.Arrays.fill(options, 0, nops, NOP);
            boolean v6 = random.nextBoolean();
            ByteBuf packet = v6 ? ipv6(tcp(SYN, options), null) : ipv4(tcp(SYN, options));
            packet.setShort((v6 ? 40 : 20) + 4, random.nextInt(65536)); // another sequence number: another sum
            fixChecksum(packet, v6);

            assertThat(MssClamp.clamp(packet, false, clamp, clamp)).isTrue();

            assertThat(packet.getUnsignedShort((v6 ? 40 : 20) + 20 + nops + 2)).isEqualTo(clamp);
            assertThat(v6 ? validIpv6(packet, 40) : validIpv4(packet)).as("round %d", round).isTrue();
        }
    }

    @Test
    void tapFramesWithAndWithoutAVlanTagAreClamped() {
        ByteBuf inner = ipv4(tcp(SYN, MSS_1460));
        ByteBuf plain = ethernet(inner, false, 0x0800);
        ByteBuf tagged = ethernet(inner, true, 0x0800);

        assertThat(MssClamp.clamp(plain, true, 1380, 1360)).isTrue();
        assertThat(MssClamp.clamp(tagged, true, 1380, 1360)).isTrue();

        assertThat(mssAt(plain, 14 + 20)).isEqualTo(1380);
        assertThat(mssAt(tagged, 18 + 20)).isEqualTo(1380);
        assertThat(validIpv4(plain.slice(14, plain.readableBytes() - 14))).isTrue();
        assertThat(validIpv4(tagged.slice(18, tagged.readableBytes() - 18))).isTrue();
        ByteBuf v6 = ethernet(ipv6(tcp(SYN, mss(1440)), null), true, 0x86DD);
        assertThat(MssClamp.clamp(v6, true, 1380, 1360)).isTrue();
        assertThat(mssAt(v6, 18 + 40)).isEqualTo(1360);
        assertThat(validIpv6(v6.slice(18, v6.readableBytes() - 18), 40)).isTrue();
    }

    @Test
    void packetsThatMustPassUnchangedAreNotTouched() {
        assertUnchanged(ipv4(tcp(SYN, cat(SACK_PERMITTED, TIMESTAMPS))), false, "no MSS option");
        assertUnchanged(ipv4(tcp(SYN, mss(1300))), false, "MSS already below the clamp");
        assertUnchanged(ipv4(tcp(SYN, mss(1380))), false, "MSS equal to the clamp");
        assertUnchanged(ipv4(tcp(ACK, MSS_1460)), false, "not a SYN");
        assertUnchanged(ipv4(tcp(SYN, cat(new byte[] {EOL, 0, 0, 0}, MSS_1460))), false, "MSS after EOL");
        assertUnchanged(ipv4(tcp(SYN, cat(new byte[] {4, 0}, MSS_1460))), false, "an option of length 0");
        assertUnchanged(ipv4(tcp(SYN, cat(new byte[] {4, 1}, MSS_1460))), false, "an option of length 1");
        assertUnchanged(ipv4(tcp(SYN, cat(new byte[] {8, 40}, MSS_1460))), false, "an option past the header");
        assertUnchanged(ipv4(tcp(SYN, cat(new byte[] {2, 6, 0x05, (byte) 0xB4, 0, 0}))), false, "MSS of length 6");
        assertUnchanged(ipv4(tcp(SYN, cat(new byte[] {NOP, NOP, NOP}, new byte[] {2}))), false,
                "a kind without its length at the header's end");
        ByteBuf truncated = ipv4(tcp(SYN, cat(SACK_PERMITTED, new byte[] {NOP, NOP}, MSS_1460)));
        truncated.setByte(20 + 12, (6 << 4)); // data offset 24 bytes: the MSS lies past the header
        assertUnchanged(truncated, false, "MSS outside the header's data offset");
        ByteBuf fragment = ipv4(tcp(SYN, MSS_1460));
        fragment.setShort(6, 0x0010); // fragment offset 16 (x8 bytes)
        assertUnchanged(fragment, false, "a non-first IPv4 fragment");
        ByteBuf udp = ipv4(tcp(SYN, MSS_1460));
        udp.setByte(9, 17);
        assertUnchanged(udp, false, "UDP");
        ByteBuf shortPacket = ipv4(tcp(SYN, MSS_1460));
        shortPacket.writerIndex(30);
        assertUnchanged(shortPacket, false, "cut inside the TCP header");
        assertUnchanged(ethernet(ipv4(tcp(SYN, MSS_1460)), false, 0x0806), true, "not IP (ARP's ethertype)");
        assertUnchanged(Unpooled.wrappedBuffer(new byte[] {0x45}), false, "one byte");
        assertUnchanged(Unpooled.buffer(0), false, "empty");
        assertUnchanged(Unpooled.wrappedBuffer(new byte[10]), true, "a frame shorter than its header");
    }

    @Test
    void aFamilyWithoutAClampIsLeftAlone() {
        assertUnchanged(ipv4(tcp(SYN, MSS_1460)), false, 0, 1000, "IPv4 clamp 0");
        assertUnchanged(ipv6(tcp(SYN, MSS_1460), null), false, 1000, 0, "IPv6 clamp 0");
    }

    @Test
    void randomBytesNeverThrowAndNeverMoveIndexes() {
        Random random = new Random(1624);
        for (int round = 0; round < 20000; round++) {
            ByteBuf packet = random.nextInt(3) == 0 ? ipv4(tcp(SYN, MSS_1460))
                    : random.nextBoolean() ? ipv6(tcp(SYN, mss(9000)), null) : Unpooled.buffer(80).writeZero(80);
            for (int flips = random.nextInt(6); flips > 0; flips--) {
                int at = random.nextInt(packet.readableBytes());
                packet.setByte(at, random.nextInt(256));
            }
            packet.writerIndex(random.nextInt(packet.writerIndex() + 1));
            int writer = packet.writerIndex();
            MssClamp.clamp(packet, random.nextBoolean(), 1200, 1200);
            assertThat(packet.readerIndex()).isZero();
            assertThat(packet.writerIndex()).isEqualTo(writer);
        }
    }

    private static void assertUnchanged(ByteBuf packet, boolean ethernet, String why) {
        assertUnchanged(packet, ethernet, 1380, 1360, why);
    }

    private static void assertUnchanged(ByteBuf packet, boolean ethernet, int v4, int v6, String why) {
        String before = ByteBufUtil.hexDump(packet);
        assertThat(MssClamp.clamp(packet, ethernet, v4, v6)).as(why).isFalse();
        assertThat(ByteBufUtil.hexDump(packet)).as(why).isEqualTo(before);
    }

    // --- packets, built and checked here, independently of the code under test ---

    private static byte[] mss(int value) {
        return new byte[] {2, 4, (byte) (value >>> 8), (byte) value};
    }

    private static byte[] cat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** A TCP header with {@code options} padded with EOL to a multiple of 4, and 10 bytes of payload; checksum 0. */
    private static byte[] tcp(int flags, byte[] options) {
        int optionBytes = (options.length + 3) & ~3;
        byte[] segment = new byte[20 + optionBytes + 10];
        segment[0] = (byte) 0xC0; // source port 49153
        segment[1] = 0x01;
        segment[3] = 80;
        segment[4] = 0x11; // sequence number
        segment[5] = 0x22;
        segment[7] = 0x44;
        segment[12] = (byte) (((20 + optionBytes) / 4) << 4);
        segment[13] = (byte) flags;
        segment[14] = (byte) 0xFF; // window
        segment[15] = (byte) 0xFF;
        System.arraycopy(options, 0, segment, 20, options.length);
        for (int i = 20 + optionBytes; i < segment.length; i++) {
            segment[i] = (byte) (i * 7);
        }
        return segment;
    }

    private static ByteBuf ipv4(byte[] segment) {
        ByteBuf p = Unpooled.buffer();
        p.writeByte(0x45).writeByte(0).writeShort(20 + segment.length).writeShort(0x1234).writeShort(0x4000)
                .writeByte(64).writeByte(6).writeShort(0)
                .writeBytes(new byte[] {(byte) 198, 18, 0, 1}).writeBytes(new byte[] {(byte) 198, 18, 0, 2})
                .writeBytes(segment);
        fixChecksum(p, false);
        return p;
    }

    private static ByteBuf ipv6(byte[] segment, byte[] extension) {
        int ext = extension == null ? 0 : extension.length;
        ByteBuf p = Unpooled.buffer();
        p.writeInt(0x60000000).writeShort(ext + segment.length).writeByte(extension == null ? 6 : 0).writeByte(64);
        p.writeBytes(new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
        p.writeBytes(new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
        if (extension != null) {
            p.writeBytes(extension);
        }
        p.writeBytes(segment);
        fixChecksumAt(p, 40 + ext, true);
        return p;
    }

    private static ByteBuf ethernet(ByteBuf packet, boolean vlan, int ethertype) {
        ByteBuf f = Unpooled.buffer();
        f.writeBytes(new byte[] {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1});
        if (vlan) {
            f.writeShort(0x8100).writeShort(42);
        }
        f.writeShort(ethertype).writeBytes(packet, packet.readerIndex(), packet.readableBytes());
        return f;
    }

    private static int mssAt(ByteBuf packet, int tcp) {
        int i = tcp + 20;
        int end = tcp + ((packet.getUnsignedByte(tcp + 12) >>> 4) * 4);
        while (i < end) {
            int kind = packet.getUnsignedByte(i);
            if (kind == 2) {
                return packet.getUnsignedShort(i + 2);
            }
            i += kind == 1 ? 1 : packet.getUnsignedByte(i + 1);
        }
        return -1;
    }

    private static void fixChecksum(ByteBuf p, boolean v6) {
        fixChecksumAt(p, v6 ? 40 : 20, v6);
    }

    private static void fixChecksumAt(ByteBuf p, int tcp, boolean v6) {
        p.setShort(tcp + 16, 0);
        p.setShort(tcp + 16, ~sum(p, tcp, v6) & 0xFFFF);
    }

    private static boolean validIpv4(ByteBuf p) {
        return sum(p, 20, false) == 0xFFFF;
    }

    private static boolean validIpv6(ByteBuf p, int tcp) {
        return sum(p, tcp, true) == 0xFFFF;
    }

    /** RFC 1071, byte by byte: pseudo-header (RFC 9293 §3.1 / RFC 8200 §8.1) plus the segment, folded. */
    private static int sum(ByteBuf p, int tcp, boolean v6) {
        int length = p.readableBytes() - tcp;
        long sum = 0;
        if (v6) {
            for (int i = 8; i < 40; i += 2) {
                sum += p.getUnsignedShort(i);
            }
        } else {
            for (int i = 12; i < 20; i += 2) {
                sum += p.getUnsignedShort(i);
            }
        }
        sum += 6 + length;
        for (int i = 0; i < length; i++) {
            int b = p.getUnsignedByte(tcp + i);
            sum += (i & 1) == 0 ? b << 8 : b;
        }
        while (sum >>> 16 != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }
}
