package dev.culvert.protocol.offload;

import dev.culvert.protocol.Counters;
import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.offload.GsoPackets.Spec;
import dev.culvert.protocol.wire.PacketRoom;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static dev.culvert.protocol.offload.GsoPackets.ACK;
import static dev.culvert.protocol.offload.GsoPackets.CWR;
import static dev.culvert.protocol.offload.GsoPackets.FIN;
import static dev.culvert.protocol.offload.GsoPackets.PSH;
import static org.assertj.core.api.Assertions.assertThat;

/** Known-answer tests of {@link Segmenter} and {@link SegmentationHandler}. */
class SegmenterTest {
    private static final int MTU = 1500;
    private static final DeviceOffloads ALL = new DeviceOffloads(true, true, true, true, true, true);
    private static final UnpooledByteBufAllocator ALLOC = new UnpooledByteBufAllocator(true);

    private final List<ByteBuf> out = new ArrayList<>();

    @AfterEach
    void releaseOutput() {
        out.forEach(ByteBuf::release);
    }

    private boolean run(ByteBuf packet, boolean ethernet) {
        return new Segmenter(ALL, ethernet, MTU).process(packet, ALLOC, out::add);
    }

    /** Segments {@code s}, checks every segment's checksums and copied fields, and the payload reassembled. */
    private void segmentAndCheck(Spec s) {
        ByteBuf packet = GsoPackets.build(s);
        int base = packet.readerIndex() + VirtioNetHdr.LENGTH;
        assertThat(run(packet, s.link() > 0)).isTrue();
        assertThat(packet.refCnt()).isZero();
        int expected = (s.payload() + s.gsoSize() - 1) / s.gsoSize();
        assertThat(out).hasSize(expected);
        byte[] reassembled = new byte[s.payload()];
        int offset = 0;
        for (int i = 0; i < out.size(); i++) {
            ByteBuf seg = out.get(i);
            int l4 = GsoPackets.verifySegment(seg, s.link(), s.link() > 0 ? MTU + PacketRoom.LINK_HEADER : MTU);
            int start = seg.readerIndex();
            int ip = start + s.link();
            int chunk = i < expected - 1 ? s.gsoSize() : s.payload() - s.gsoSize() * (expected - 1);
            assertThat(seg.readableBytes()).isEqualTo(s.headers() + chunk);
            if (s.link() > 0) {
                assertThat(ByteBufUtil.hexDump(seg, start, s.link()))
                        .isEqualTo(s.link() == 18 ? "02000000000202000000000181000064" + (s.v6() ? "86dd" : "0800")
                                : "020000000002020000000001" + (s.v6() ? "86dd" : "0800"));
            }
            if (s.v6()) {
                assertThat(seg.getInt(ip)).isEqualTo(0x60A12345);
                assertThat((int) seg.getUnsignedByte(ip + 7)).isEqualTo(64);
            } else {
                assertThat(seg.getUnsignedShort(ip + 4)).as("IPv4 id").isEqualTo((GsoPackets.IP_ID + i) & 0xFFFF);
                assertThat(seg.getUnsignedShort(ip + 6)).as("DF kept").isEqualTo(0x4000);
                assertThat((int) seg.getUnsignedByte(ip + 1)).as("TOS kept").isEqualTo(2);
            }
            int l4At = start + l4;
            assertThat(seg.getUnsignedShort(l4At)).isEqualTo(40000);
            assertThat(seg.getUnsignedShort(l4At + 2)).isEqualTo(5201);
            if (s.tcp()) {
                assertThat(seg.getUnsignedInt(l4At + 4)).as("sequence number")
                        .isEqualTo((GsoPackets.SEQ + offset) & 0xFFFFFFFFL);
                assertThat(seg.getInt(l4At + 8)).as("ack").isEqualTo(0x11223344);
                int flags = seg.getUnsignedByte(l4At + 13);
                boolean last = i == expected - 1;
                assertThat(flags & (FIN | PSH)).as("FIN/PSH of segment " + i)
                        .isEqualTo(last ? s.tcpFlags() & (FIN | PSH) : 0);
                assertThat(flags & CWR).as("CWR of segment " + i).isEqualTo(i == 0 ? s.tcpFlags() & CWR : 0);
                assertThat(flags & ACK).isEqualTo(ACK);
                assertThat(ByteBufUtil.getBytes(seg, l4At + 20, s.tcpOptions().length)).isEqualTo(s.tcpOptions());
            }
            seg.getBytes(start + s.headers(), reassembled, offset, chunk);
            offset += chunk;
        }
        for (int i = 0; i < s.payload(); i++) {
            assertThat(reassembled[i]).as("payload byte " + i).isEqualTo(GsoPackets.payloadByte(i));
        }
    }

    @Test
    void tcp4WithTimestampsSplitsIntoMssSegmentsWithAShortLast() {
        segmentAndCheck(Spec.tcp4(4000, 1448));
    }

    @Test
    void tcp6WithTimestampsSplitsIntoMssSegmentsWithAShortLast() {
        segmentAndCheck(Spec.tcp6(4000, 1428));
    }

    @Test
    void aFullSuperPacketOf64KbWrapsSequenceAndId() {
        segmentAndCheck(Spec.tcp4(65535 - 52, 1448));
        releaseOutput();
        out.clear();
        segmentAndCheck(Spec.tcp6(65535 - 32, 1428));
    }

    @Test
    void payloadAnExactMultipleOfGsoSizeHasNoShortSegment() {
        segmentAndCheck(Spec.tcp4(3 * 1448, 1448));
        assertThat(out).allMatch(b -> b.readableBytes() == 1500);
    }

    @Test
    void aPayloadSmallerThanGsoSizeIsOneSegment() {
        segmentAndCheck(Spec.tcp4(100, 1448));
    }

    @Test
    void pshAndFinOnlyOnTheLastCwrOnlyOnTheFirst() {
        segmentAndCheck(Spec.tcp4(5000, 1000).flags(ACK | PSH | FIN | CWR, true));
        releaseOutput();
        out.clear();
        segmentAndCheck(Spec.tcp6(5000, 1000).flags(ACK | CWR, true));
    }

    @Test
    void tcpWithoutOptions() {
        segmentAndCheck(new Spec(0, false, true, new byte[0], 3000, 1460, ACK, false, new byte[0]));
    }

    @Test
    void ipv4OptionsAreCopiedIntoEverySegment() {
        // Router alert (RFC 2113): 94 04 00 00; the header is 24 bytes, covered by each header checksum.
        byte[] routerAlert = {(byte) 0x94, 4, 0, 0};
        segmentAndCheck(Spec.tcp4(3000, 1444).ipOptions(routerAlert));
        for (ByteBuf seg : out) {
            assertThat((int) seg.getUnsignedByte(seg.readerIndex())).isEqualTo(0x46);
            assertThat(ByteBufUtil.getBytes(seg, seg.readerIndex() + 20, 4)).isEqualTo(routerAlert);
        }
        releaseOutput();
        out.clear();
        segmentAndCheck(Spec.udp4(3000, 1468).ipOptions(routerAlert).link(18));
    }

    @Test
    void aTapFrameThatIsNotIpPassesWhenNotSegmented() {
        // An ARP request on tap: GSO_NONE without NEEDS_CSUM is passed on as it is (a bridge decides).
        ByteBuf frame = GsoPackets.build(Spec.udp4(100, 1472).link(14));
        int at = frame.readerIndex();
        VirtioNetHdr.setNone(frame, at);
        frame.setShort(at + VirtioNetHdr.LENGTH + 12, 0x0806);
        assertThat(run(frame, true)).isTrue();
        assertThat(out).containsExactly(frame);
        assertThat(frame.getUnsignedShort(frame.readerIndex() + 12)).isEqualTo(0x0806);
    }

    @Test
    void uso4AndUso6() {
        segmentAndCheck(Spec.udp4(4000, 1472));
        releaseOutput();
        out.clear();
        segmentAndCheck(Spec.udp6(4001, 1452));
    }

    @ParameterizedTest(name = "link header {0}")
    @ValueSource(ints = {14, 18})
    void tapFramesWithAndWithoutVlanTag(int link) {
        segmentAndCheck(Spec.tcp4(4000, 1448).link(link));
        releaseOutput();
        out.clear();
        segmentAndCheck(Spec.tcp6(4000, 1428).link(link));
        releaseOutput();
        out.clear();
        segmentAndCheck(Spec.udp4(3000, 1472).link(link));
    }

    /**
     * A vector whose checksums were checked outside Java: the three segments (payload 10 bytes, gso_size 4) were
     * written to a pcap (link type RAW) and {@code tcpdump -vv -r} (4.99.3, its own checksum code) reported every
     * TCP and UDP checksum correct and no bad IPv4 header checksum.
     */
    @Test
    void segmentsMatchAVectorVerifiedByTcpdump() {
        run(GsoPackets.build(Spec.tcp4(10, 4)), false);
        assertThat(out).extracting(ByteBufUtil::hexDump).containsExactly(
                "45020038fffe40004006" + "ae97" + "c6120001c6120002" + "9c401451fffff00011223344" + "8010"
                        + "1f5a" + "89a0" + "00000101080a0102030405060708" + "07264564",
                "45020038ffff40004006" + "ae96" + "c6120001c6120002" + "9c401451fffff00411223344" + "8010"
                        + "1f5a" + "90a3" + "00000101080a0102030405060708" + "83a2c1e0",
                "45020036000040004006" + "ae98" + "c6120001c6120002" + "9c401451fffff00811223344" + "8019"
                        + "1f5a" + "d6fc" + "00000101080a0102030405060708" + "ff1e");
        releaseOutput();
        out.clear();
        run(GsoPackets.build(Spec.udp6(5, 3)), false);
        assertThat(out).extracting(ByteBufUtil::hexDump).containsExactly(
                "60a12345000b114020010db800000000000000000000000120010db8000000000000000000000002"
                        + "9c401451000b" + "a7ab" + "072645",
                "60a12345000a114020010db800000000000000000000000120010db8000000000000000000000002"
                        + "9c401451000a" + "8f50" + "6483");
    }

    @Test
    void needsCsumWithoutGsoCompletesTheChecksumInPlace() {
        // A whole TCP packet as the kernel hands it over with CHECKSUM_PARTIAL: gso_size 0, one segment.
        Spec s = Spec.tcp4(700, 1448);
        ByteBuf packet = GsoPackets.build(s);
        int at = packet.readerIndex();
        packet.setByte(at + 1, VirtioNetHdr.GSO_NONE);
        packet.setShortLE(at + 4, 0);
        assertThat(run(packet, false)).isTrue();
        assertThat(out).containsExactly(packet);
        assertThat(packet.readerIndex()).isEqualTo(at + VirtioNetHdr.LENGTH);
        ByteBuf copy = copyAtHeadroom(packet);
        out.add(copy);
        GsoPackets.verifySegment(copy, 0, MTU);
    }

    @Test
    void needsCsumOnAUdpPacketWhoseSumIsZeroStoresAllOnes() {
        // UDP over IPv4 whose checksum comes out as 0x0000: sent as 0xFFFF (RFC 768).
        ByteBuf packet = GsoPackets.build(Spec.udp4(2, 1472));
        int at = packet.readerIndex();
        packet.setByte(at + 1, VirtioNetHdr.GSO_NONE);
        int base = at + VirtioNetHdr.LENGTH;
        int l4 = base + 20;
        // Choose the two payload bytes so that the full sum folds to 0xFFFF (checksum 0).
        packet.setShort(l4 + 8, 0);
        int partial = packet.getUnsignedShort(l4 + 6);
        int rest = GsoPackets.sum16(packet, l4, l4 + 10, 0);
        packet.setShort(l4 + 8, 0xFFFF - rest);
        assertThat(GsoPackets.sum16(packet, l4, l4 + 10, 0)).isEqualTo(0xFFFF);
        assertThat(partial).isNotZero();
        assertThat(run(packet, false)).isTrue();
        assertThat(packet.getUnsignedShort(l4 + 6)).isEqualTo(0xFFFF);
    }

    @Test
    void aPlainPacketPassesInItsBufferWithTheHeaderSkipped() {
        ByteBuf packet = GsoPackets.build(Spec.tcp4(700, 1448));
        int at = packet.readerIndex();
        VirtioNetHdr.setNone(packet, at);
        byte[] before = ByteBufUtil.getBytes(packet, at + VirtioNetHdr.LENGTH, packet.readableBytes() - 10);
        assertThat(run(packet, false)).isTrue();
        assertThat(out).containsExactly(packet);
        assertThat(ByteBufUtil.getBytes(packet)).isEqualTo(before);
    }

    private static ByteBuf copyAtHeadroom(ByteBuf packet) {
        // verifySegment expects the packet at HEADROOM; the pass-through packet sits 10 bytes later.
        ByteBuf copy = ALLOC.directBuffer(PacketRoom.HEADROOM + packet.readableBytes() + PacketRoom.TAILROOM);
        copy.setIndex(PacketRoom.HEADROOM, PacketRoom.HEADROOM).writeBytes(packet, packet.readerIndex(),
                packet.readableBytes());
        return copy;
    }

    // ---- bad headers: dropped, released, nothing emitted ----

    private void assertBad(Spec s, boolean ethernet, Consumer<ByteBuf> spoil) {
        ByteBuf packet = GsoPackets.build(s);
        spoil.accept(packet);
        assertThat(run(packet, ethernet)).isFalse();
        assertThat(packet.refCnt()).isZero();
        assertThat(out).isEmpty();
    }

    private static void setType(ByteBuf p, int type) {
        p.setByte(p.readerIndex() + 1, type);
    }

    @Test
    void ufoAndUnknownTypesAreBad() {
        assertBad(Spec.udp4(3000, 1472), false, p -> setType(p, VirtioNetHdr.GSO_UDP));
        assertBad(Spec.tcp4(3000, 1448), false, p -> setType(p, 2));
        assertBad(Spec.tcp4(3000, 1448), false, p -> setType(p, 6));
        assertBad(Spec.tcp4(3000, 1448), false, p -> setType(p, 0x7F));
        assertBad(Spec.tcp4(3000, 1448), false, p -> setType(p, VirtioNetHdr.GSO_ECN)); // ECN without GSO
    }

    @Test
    void aTypeThatDoesNotMatchThePacketIsBad() {
        assertBad(Spec.tcp4(3000, 1448), false, p -> setType(p, VirtioNetHdr.GSO_TCPV6));
        assertBad(Spec.tcp6(3000, 1428), false, p -> setType(p, VirtioNetHdr.GSO_TCPV4));
        assertBad(Spec.tcp4(3000, 1448), false, p -> setType(p, VirtioNetHdr.GSO_UDP_L4));
        assertBad(Spec.udp6(3000, 1448), false, p -> setType(p, VirtioNetHdr.GSO_TCPV6));
    }

    @Test
    void sizesThatDoNotFitAreBad() {
        assertBad(Spec.tcp4(3000, 1448), false, p -> p.setShortLE(p.readerIndex() + 4, 0)); // gso_size 0
        assertBad(Spec.tcp4(3000, 1449), false, p -> {}); // 1501-byte segments
        assertBad(Spec.tcp4(3000, 1448).link(18), false, p -> {}); // a tap frame read as tun
        assertBad(Spec.tcp4(3000, 1448), false, p -> p.setShortLE(p.readerIndex() + 2, 3053)); // hdr_len > packet
        assertBad(Spec.tcp4(3000, 1448), false, p -> p.writerIndex(p.readerIndex() + 9)); // no whole header
        assertBad(Spec.tcp4(3000, 1448), false, p -> p.writerIndex(p.readerIndex() + 10 + 52)); // no payload
        assertBad(Spec.tcp4(3000, 1448), false, p -> p.writerIndex(p.readerIndex() + 10 + 40)); // TCP cut short
        assertBad(Spec.tcp4(3000, 1448), false, p -> p.setByte(p.readerIndex() + 10 + 32, 0xF0)); // doff 60 > MTU
        assertBad(Spec.tcp4(3000, 1448), false, p -> p.setByte(p.readerIndex() + 10 + 32, 0x40)); // doff 16
        assertBad(Spec.tcp4(3000, 1448), false, p -> p.setByte(p.readerIndex() + 10, 0x44)); // IHL 16
    }

    @Test
    void checksumOffsetsThatDoNotMatchThePacketAreBad() {
        assertBad(Spec.tcp4(3000, 1448), false, p -> p.setShortLE(p.readerIndex() + 6, 24)); // csum_start
        assertBad(Spec.tcp4(3000, 1448), false, p -> p.setShortLE(p.readerIndex() + 8, 6)); // csum_offset
        ByteBuf plain = GsoPackets.build(Spec.tcp4(100, 1448));
        setType(plain, VirtioNetHdr.GSO_NONE);
        plain.setShortLE(plain.readerIndex() + 6, 20 + 32 + 100 - 1); // csum_start + offset + 2 > length
        assertThat(run(plain, false)).isFalse();
        assertThat(plain.refCnt()).isZero();
    }

    @Test
    void fragmentsAndIpv6ExtensionHeadersAreBad() {
        assertBad(Spec.tcp4(3000, 1448), false, p -> p.setShort(p.readerIndex() + 16, 0x2000)); // MF
        assertBad(Spec.tcp4(3000, 1448), false, p -> p.setShort(p.readerIndex() + 16, 0x0001)); // offset
        assertBad(Spec.tcp6(3000, 1428), false, p -> p.setByte(p.readerIndex() + 16, 0)); // hop-by-hop
        assertBad(Spec.udp6(3000, 1452), false, p -> p.setByte(p.readerIndex() + 16, 44)); // fragment header
    }

    @Test
    void tapFramesThatAreNotIpAreBadWhenSegmented() {
        assertBad(Spec.tcp4(3000, 1448).link(14), true, p -> p.setShort(p.readerIndex() + 22, 0x0806));
        assertBad(Spec.tcp4(3000, 1448).link(18), true, p -> p.setShort(p.readerIndex() + 26, 0x88A8));
    }

    @Test
    void offloadsTheDeviceDidNotEnableAreBad() {
        DeviceOffloads tcpOnly = new DeviceOffloads(true, true, true, true, false, false);
        ByteBuf udp = GsoPackets.build(Spec.udp4(3000, 1472));
        assertThat(new Segmenter(tcpOnly, false, MTU).process(udp, ALLOC, out::add)).isFalse();
        DeviceOffloads headerOnly = new DeviceOffloads(true, false, false, false, false, false);
        ByteBuf tcp = GsoPackets.build(Spec.tcp6(3000, 1428));
        assertThat(new Segmenter(headerOnly, false, MTU).process(tcp, ALLOC, out::add)).isFalse();
        assertThat(udp.refCnt() + tcp.refCnt()).isZero();
        assertThat(out).isEmpty();
    }

    // ---- the handler in a pipeline ----

    @Test
    void handlerFiresEachSegmentAndCountsBadHeaders() {
        Counters counters = new Counters();
        EmbeddedChannel channel = new EmbeddedChannel(new SegmentationHandler(ALL, false, MTU, counters));
        channel.writeInbound(GsoPackets.build(Spec.tcp4(4000, 1448)));
        ByteBuf bad = GsoPackets.build(Spec.tcp4(4000, 1448));
        setType(bad, VirtioNetHdr.GSO_UDP);
        channel.writeInbound(bad);
        channel.writeInbound("not a buffer");
        List<Object> others = new ArrayList<>();
        for (Object read; (read = channel.readInbound()) != null; ) {
            if (read instanceof ByteBuf seg) {
                out.add(seg);
            } else {
                others.add(read);
            }
        }
        assertThat(others).containsExactly("not a buffer");
        assertThat(out).hasSize(3);
        out.forEach(seg -> GsoPackets.verifySegment(seg, 0, MTU));
        assertThat(counters.drops(DropReason.BAD_OFFLOAD)).isEqualTo(1);
        assertThat(counters.totalDrops()).isEqualTo(1);
        assertThat(bad.refCnt()).isZero();
        assertThat(channel.finish()).isFalse();
    }
}
