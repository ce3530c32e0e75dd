package dev.culvert.protocol.offload;

import dev.culvert.protocol.offload.GroPackets.Spec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static dev.culvert.protocol.offload.GroPackets.ACK;
import static dev.culvert.protocol.offload.GroPackets.FIN;
import static dev.culvert.protocol.offload.GroPackets.PSH;
import static dev.culvert.protocol.offload.GroPackets.RST;
import static dev.culvert.protocol.offload.GroPackets.SYN;
import static dev.culvert.protocol.offload.GroPackets.URG;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Known answers for {@link Coalescer}: what merges, what must not, and that the kernel's segmentation of each
 * super-packet (an independent reference, {@link GroPackets#segment}) gives back exactly the packets written.
 */
class CoalescerTest {
    private static final DeviceOffloads ALL = new DeviceOffloads(true, true, true, true, true, true);
    private static final DeviceOffloads TSO_ONLY = new DeviceOffloads(true, true, true, true, false, false);
    private static final DeviceOffloads CSUM_ONLY = new DeviceOffloads(true, true, false, false, false, false);

    private final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(true);
    private final List<ByteBuf> inputs = new ArrayList<>();
    private final List<byte[]> inputBytes = new ArrayList<>();
    private final List<ByteBuf> outputs = new ArrayList<>();

    @AfterEach
    void noLeaks() {
        for (ByteBuf in : inputs) {
            if (!outputs.contains(in)) {
                assertThat(in.refCnt()).as("input released").isZero();
            }
        }
        for (ByteBuf out : outputs) {
            assertThat(out.refCnt()).isEqualTo(1);
            out.release();
        }
    }

    /** Adds each packet, flushes, and returns what was emitted. */
    private List<ByteBuf> run(Coalescer c, List<Spec> specs) {
        for (Spec s : specs) {
            ByteBuf b = s.buf();
            inputs.add(b);
            byte[] copy = new byte[b.readableBytes()];
            b.getBytes(b.readerIndex(), copy);
            inputBytes.add(copy);
            c.add(b);
        }
        assertThat(c.held()).isEqualTo(specs.size());
        List<ByteBuf> got = new ArrayList<>();
        c.flush(alloc, got::add);
        assertThat(c.held()).isZero();
        outputs.addAll(got);
        return got;
    }

    private static List<Spec> flow(Spec first, int segments) {
        List<Spec> list = new ArrayList<>();
        Spec s = first;
        for (int i = 0; i < segments; i++) {
            list.add(s);
            s = s.next();
        }
        return list;
    }

    /** Every output segmented back, in order: must equal the inputs in the order given by {@code order}. */
    private void assertResegmentsTo(List<ByteBuf> got, int l2, int... order) {
        List<byte[]> back = new ArrayList<>();
        for (ByteBuf out : got) {
            back.addAll(GroPackets.segment(out, l2));
        }
        assertThat(back).hasSize(order.length);
        for (int i = 0; i < order.length; i++) {
            assertThat(back.get(i)).as("segment %d", i).isEqualTo(inputBytes.get(order[i]));
        }
    }

    private static int[] range(int n) {
        return java.util.stream.IntStream.range(0, n).toArray();
    }

    @Test
    void ipv4FlowIsMergedIntoOneSuperPacket() {
        List<Spec> specs = flow(new Spec(), 5);
        specs.set(4, specs.get(4).with(s -> s.flags = ACK | PSH));
        List<ByteBuf> got = run(new Coalescer(ALL, false), specs);

        assertThat(got).hasSize(1);
        ByteBuf out = got.get(0);
        int h = out.readerIndex();
        int headers = 20 + 20 + GroPackets.TIMESTAMPS.length;
        assertThat(VirtioNetHdr.flags(out, h)).isEqualTo(VirtioNetHdr.F_NEEDS_CSUM);
        assertThat(VirtioNetHdr.gsoType(out, h)).isEqualTo(VirtioNetHdr.GSO_TCPV4);
        assertThat(VirtioNetHdr.hdrLen(out, h)).isEqualTo(headers);
        assertThat(VirtioNetHdr.gsoSize(out, h)).isEqualTo(1000);
        assertThat(VirtioNetHdr.csumStart(out, h)).isEqualTo(20);
        assertThat(VirtioNetHdr.csumOffset(out, h)).isEqualTo(16);
        int ip = h + VirtioNetHdr.LENGTH;
        assertThat(out.readableBytes()).isEqualTo(VirtioNetHdr.LENGTH + headers + 5000);
        assertThat(out.getUnsignedShort(ip + 2)).isEqualTo(headers + 5000);
        assertThat(out.getUnsignedShort(ip + 4)).as("first identification").isEqualTo(0xFFFE);
        assertThat(GroPackets.sum(bytesOf(out), VirtioNetHdr.LENGTH, 20, 0)).as("IPv4 header checksum").isEqualTo(0xFFFF);
        assertThat((int) out.getUnsignedByte(ip + 20 + 13)).as("PSH of the last or'ed in").isEqualTo(ACK | PSH);

        byte[] completed = GroPackets.completePartialChecksum(out);
        assertThat(GroPackets.l4ChecksumValid(completed, 0)).as("checksum completed by the kernel").isTrue();
        assertResegmentsTo(got, 0, range(5));
    }

    @Test
    void ipv6FlowIsMergedIntoOneSuperPacket() {
        List<ByteBuf> got = run(new Coalescer(ALL, false), flow(new Spec().v6(), 4));

        assertThat(got).hasSize(1);
        ByteBuf out = got.get(0);
        int h = out.readerIndex();
        int headers = 40 + 20 + GroPackets.TIMESTAMPS.length;
        assertThat(VirtioNetHdr.gsoType(out, h)).isEqualTo(VirtioNetHdr.GSO_TCPV6);
        assertThat(VirtioNetHdr.hdrLen(out, h)).isEqualTo(headers);
        assertThat(VirtioNetHdr.csumStart(out, h)).isEqualTo(40);
        assertThat(out.getUnsignedShort(h + VirtioNetHdr.LENGTH + 4)).isEqualTo(headers - 40 + 4000);
        assertThat(GroPackets.l4ChecksumValid(GroPackets.completePartialChecksum(out), 0)).isTrue();
        assertResegmentsTo(got, 0, range(4));
    }

    @Test
    void aShortSegmentEndsTheMerge() {
        List<Spec> specs = flow(new Spec(), 4);
        specs.set(2, specs.get(2).with(s -> s.payload = 300));
        specs.set(3, specs.get(2).next().with(s -> s.payload = 1000));
        List<ByteBuf> got = run(new Coalescer(ALL, false), specs);

        assertThat(got).hasSize(2);
        assertThat(VirtioNetHdr.gsoSize(got.get(0), got.get(0).readerIndex())).isEqualTo(1000);
        assertThat(got.get(0).readableBytes()).isEqualTo(VirtioNetHdr.LENGTH + 52 + 2300);
        assertThat(VirtioNetHdr.gsoType(got.get(1), got.get(1).readerIndex())).isEqualTo(VirtioNetHdr.GSO_NONE);
        assertResegmentsTo(got, 0, range(4));
    }

    static Stream<Arguments> unmergeable() {
        return Stream.of(
                Arguments.of("SYN", (Consumer<Spec>) s -> s.flags = ACK | SYN),
                Arguments.of("FIN", (Consumer<Spec>) s -> s.flags = ACK | FIN),
                Arguments.of("RST", (Consumer<Spec>) s -> s.flags = ACK | RST),
                Arguments.of("URG", (Consumer<Spec>) s -> s.flags = ACK | URG),
                Arguments.of("no ACK", (Consumer<Spec>) s -> s.flags = 0),
                Arguments.of("other options", (Consumer<Spec>) s -> s.options = new byte[] {1, 1, 8, 10, 0, 0, 0x10, 1, 0, 0, 0x20, 0}),
                Arguments.of("no options", (Consumer<Spec>) s -> s.options = new byte[0]),
                Arguments.of("gap in sequence", (Consumer<Spec>) s -> s.seq += 1),
                Arguments.of("other ACK number", (Consumer<Spec>) s -> s.ack += 1),
                Arguments.of("other window", (Consumer<Spec>) s -> s.window += 1),
                Arguments.of("other TTL", (Consumer<Spec>) s -> s.ttl = 63),
                Arguments.of("other ToS", (Consumer<Spec>) s -> s.tos = 0x03),
                Arguments.of("IPv4 options", (Consumer<Spec>) s -> s.ipOptions = new byte[] {1, 1, 1, 0}),
                Arguments.of("no DF", (Consumer<Spec>) s -> s.fragment = 0),
                Arguments.of("identification not +1", (Consumer<Spec>) s -> s.id += 5),
                Arguments.of("larger than the first", (Consumer<Spec>) s -> s.payload = 1001),
                Arguments.of("empty payload", (Consumer<Spec>) s -> s.payload = 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unmergeable")
    void aSegmentThatDiffersIsNotMerged(String name, Consumer<Spec> change) {
        Spec first = new Spec();
        List<Spec> specs = List.of(first, first.next().with(change));
        List<ByteBuf> got = run(new Coalescer(ALL, false), specs);

        assertThat(got).hasSize(2);
        for (ByteBuf out : got) {
            assertThat(VirtioNetHdr.gsoType(out, out.readerIndex())).isEqualTo(VirtioNetHdr.GSO_NONE);
            assertThat(VirtioNetHdr.flags(out, out.readerIndex())).isZero();
        }
        assertResegmentsTo(got, 0, 0, 1);
    }

    @Test
    void aPacketThatCannotJoinEndsItsFlowsMergeAndKeepsItsPlace() {
        Spec a = new Spec();
        List<Spec> specs = new ArrayList<>(flow(a, 2));
        // a pure ACK of the same flow (payload 0), then the flow's data continues
        Spec ack = specs.get(1).next().with(s -> s.payload = 0);
        specs.add(ack);
        specs.addAll(flow(ack.with(s -> s.payload = 1000), 2));
        List<ByteBuf> got = run(new Coalescer(ALL, false), specs);

        assertThat(got).hasSize(3);
        assertThat(VirtioNetHdr.gsoType(got.get(1), got.get(1).readerIndex())).isEqualTo(VirtioNetHdr.GSO_NONE);
        assertResegmentsTo(got, 0, range(5));
    }

    @Test
    void anIpv6PacketWithExtensionHeadersEndsEveryOpenMerge() {
        List<Spec> a = flow(new Spec().v6(), 2);
        Spec hopByHop = new Spec().v6().with(s -> s.protocol = 0); // ports unknown: may belong to flow A
        List<ByteBuf> got = run(new Coalescer(ALL, false), List.of(a.get(0), hopByHop, a.get(1)));

        assertThat(got).hasSize(3);
        assertResegmentsTo(got, 0, 0, 1, 2);
    }

    @Test
    void aPacketWithoutAValidIpv4HeaderLengthPassesSingly() {
        Spec first = new Spec();
        ByteBuf bad = first.next().buf();
        bad.setByte(bad.readerIndex(), 0x44); // IHL 4: shorter than an IPv4 header
        Coalescer c = new Coalescer(ALL, false);
        ByteBuf good = first.buf();
        inputs.add(good);
        inputs.add(bad);
        c.add(good);
        c.add(bad);
        List<ByteBuf> got = new ArrayList<>();
        c.flush(alloc, got::add);
        outputs.addAll(got);

        assertThat(got).containsExactly(good, bad);
    }

    @Test
    void interleavedFlowsAreMergedEachInItsOwnOrder() {
        Spec a = new Spec();
        Spec b = new Spec().with(s -> {
            s.sport = 40001;
            s.seq = 77;
            s.payload = 1200;
        });
        List<Spec> fa = flow(a, 3);
        List<Spec> fb = flow(b, 2);
        Spec icmp = new Spec().with(s -> s.protocol = 1);
        List<Spec> specs = List.of(fa.get(0), fb.get(0), fa.get(1), icmp, fb.get(1), fa.get(2));
        List<ByteBuf> got = run(new Coalescer(ALL, false), specs);

        // merges in the order of their first packet: A, B, then the ICMP packet
        assertThat(got).hasSize(3);
        assertResegmentsTo(got, 0, 0, 2, 5, 1, 4, 3);
    }

    @Test
    void moreFlowsThanSlotsEndTheOldestMerges() {
        int slots = Coalescer.FLOW_SLOTS;
        List<Spec> firsts = new ArrayList<>();
        for (int f = 0; f <= slots; f++) {
            int port = 30000 + f;
            firsts.add(new Spec().with(s -> s.sport = port));
        }
        List<Spec> specs = new ArrayList<>(firsts); // flows 0..16: the 17th ends flow 0's merge
        for (int f = 1; f < slots; f++) {
            specs.add(firsts.get(f).next()); // joins
        }
        specs.add(firsts.get(0).next()); // a new merge after all others
        List<ByteBuf> got = run(new Coalescer(ALL, false), specs);

        assertThat(got).hasSize(slots + 2);
        List<Integer> order = new ArrayList<>();
        order.add(0);
        for (int f = 1; f < slots; f++) {
            order.add(f);
            order.add(slots + f);
        }
        order.add(slots);
        order.add(2 * slots);
        assertResegmentsTo(got, 0, order.stream().mapToInt(Integer::intValue).toArray());
    }

    @Test
    void aSuperPacketStaysWithin64KiBOfIp() {
        List<ByteBuf> got = run(new Coalescer(ALL, false), flow(new Spec().with(s -> {
            s.options = new byte[0];
            s.payload = 1400;
        }), 60));

        // 40 + 46 * 1400 = 64440 <= 65535 < 40 + 47 * 1400
        assertThat(got).hasSize(2);
        assertThat(got.get(0).readableBytes()).isEqualTo(VirtioNetHdr.LENGTH + 40 + 46 * 1400);
        assertThat(got.get(1).readableBytes()).isEqualTo(VirtioNetHdr.LENGTH + 40 + 14 * 1400);
        assertResegmentsTo(got, 0, range(60));
    }

    @Test
    void aSuperPacketHasAtMost64Segments() {
        List<ByteBuf> got = run(new Coalescer(ALL, false), flow(new Spec().with(s -> s.payload = 100), 100));

        assertThat(got).hasSize(2);
        assertThat(got.get(0).readableBytes()).isEqualTo(VirtioNetHdr.LENGTH + 52 + 64 * 100);
        assertResegmentsTo(got, 0, range(100));
    }

    @Test
    void udpDatagramsOfOneFlowAreMergedWithUso() {
        for (boolean v6 : new boolean[] {false, true}) {
            Spec first = new Spec().udp().with(s -> s.payload = 1200);
            if (v6) {
                first.v6();
            }
            List<Spec> specs = flow(first, 4);
            specs.set(3, specs.get(3).with(s -> s.payload = 17));
            inputBytes.clear();
            List<ByteBuf> got = run(new Coalescer(ALL, false), specs);

            assertThat(got).hasSize(1);
            ByteBuf out = got.get(0);
            int h = out.readerIndex();
            int ipHeader = v6 ? 40 : 20;
            assertThat(VirtioNetHdr.gsoType(out, h)).isEqualTo(VirtioNetHdr.GSO_UDP_L4);
            assertThat(VirtioNetHdr.flags(out, h)).isEqualTo(VirtioNetHdr.F_NEEDS_CSUM);
            assertThat(VirtioNetHdr.hdrLen(out, h)).isEqualTo(ipHeader + 8);
            assertThat(VirtioNetHdr.gsoSize(out, h)).isEqualTo(1200);
            assertThat(VirtioNetHdr.csumStart(out, h)).isEqualTo(ipHeader);
            assertThat(VirtioNetHdr.csumOffset(out, h)).isEqualTo(6);
            assertThat(out.getUnsignedShort(h + VirtioNetHdr.LENGTH + ipHeader + 4)).isEqualTo(8 + 3 * 1200 + 17);
            assertThat(GroPackets.l4ChecksumValid(GroPackets.completePartialChecksum(out), 0)).isTrue();
            assertResegmentsTo(got, 0, range(4));
        }
    }

    @Test
    void udpIsNotMergedWithoutUso() {
        List<ByteBuf> got = run(new Coalescer(TSO_ONLY, false), flow(new Spec().udp(), 3));

        assertThat(got).hasSize(3);
        assertResegmentsTo(got, 0, range(3));
    }

    @Test
    void withoutSegmentationOffloadsEveryPacketGetsAZeroHeader() {
        List<ByteBuf> got = run(new Coalescer(CSUM_ONLY, false), flow(new Spec(), 3));

        assertThat(got).hasSize(3);
        for (ByteBuf out : got) {
            assertThat(out.getLong(out.readerIndex())).isZero();
            assertThat(out.getShort(out.readerIndex() + 8)).isZero();
        }
        assertResegmentsTo(got, 0, range(3));
    }

    @Test
    void tapFramesWithOneEthernetHeaderAreMerged() {
        List<Spec> specs = flow(new Spec().tap(), 3);
        // the same flow towards another MAC address is not merged into it
        specs.add(specs.get(2).next().with(s -> s.ethernet = new byte[] {2, 0, 0, 0, 0, 3, 2, 0, 0, 0, 0, 1, 0, 0}));
        List<ByteBuf> got = run(new Coalescer(ALL, true), specs);

        assertThat(got).hasSize(2);
        ByteBuf out = got.get(0);
        int h = out.readerIndex();
        assertThat(VirtioNetHdr.gsoType(out, h)).isEqualTo(VirtioNetHdr.GSO_TCPV4);
        assertThat(VirtioNetHdr.hdrLen(out, h)).isEqualTo(14 + 52);
        assertThat(VirtioNetHdr.csumStart(out, h)).isEqualTo(14 + 20);
        assertThat(out.getUnsignedShort(h + VirtioNetHdr.LENGTH + 14 + 2)).isEqualTo(52 + 3000);
        assertThat(GroPackets.l4ChecksumValid(GroPackets.completePartialChecksum(out), 14)).isTrue();
        assertResegmentsTo(got, 14, range(4));
    }

    @Test
    void tapFramesOfOtherEthertypesPassSingly() {
        Spec arpish = new Spec().tap().with(s -> s.payload = 10);
        ByteBuf frame = arpish.buf();
        frame.setShort(frame.readerIndex() + 12, 0x0806);
        Coalescer c = new Coalescer(ALL, true);
        inputs.add(frame);
        c.add(frame);
        List<ByteBuf> got = new ArrayList<>();
        c.flush(alloc, got::add);
        outputs.addAll(got);

        assertThat(got).containsExactly(frame);
        assertThat(VirtioNetHdr.gsoType(frame, frame.readerIndex())).isEqualTo(VirtioNetHdr.GSO_NONE);
    }

    @Test
    void aZeroHeaderIsWrittenInPlaceWhenThereIsRoomElseThePacketIsCopied() {
        Spec icmp = new Spec().with(s -> s.protocol = 1);
        Spec noRoom = icmp.with(s -> s.headroom = 4);
        List<ByteBuf> got = run(new Coalescer(ALL, false), List.of(icmp, noRoom));

        assertThat(got.get(0)).isSameAs(inputs.get(0));
        assertThat(got.get(1)).isNotSameAs(inputs.get(1));
        assertThat(inputs.get(1).refCnt()).isZero();
        assertResegmentsTo(got, 0, 0, 1);
    }

    @Test
    void aSharedBufferIsCopiedNotWrittenInto() {
        ByteBuf shared = new Spec().with(s -> s.protocol = 1).buf();
        shared.retain();
        Coalescer c = new Coalescer(ALL, false);
        c.add(shared);
        List<ByteBuf> got = new ArrayList<>();
        c.flush(alloc, got::add);

        assertThat(got).hasSize(1);
        assertThat(got.get(0)).isNotSameAs(shared);
        assertThat(shared.refCnt()).isEqualTo(1);
        shared.release();
        got.get(0).release();
    }

    @Test
    void releaseDropsEverythingHeld() {
        Coalescer c = new Coalescer(ALL, false);
        List<ByteBuf> held = new ArrayList<>();
        for (Spec s : flow(new Spec(), 3)) {
            ByteBuf b = s.buf();
            held.add(b);
            c.add(b);
        }
        assertThat(c.release()).isEqualTo(3);
        assertThat(held).allSatisfy(b -> assertThat(b.refCnt()).isZero());
        List<ByteBuf> got = new ArrayList<>();
        c.flush(alloc, got::add);
        assertThat(got).isEmpty();
    }

    @Test
    void anOutputThatThrowsLeavesNothingHeldOrLeaked() {
        Coalescer c = new Coalescer(ALL, false);
        List<ByteBuf> held = new ArrayList<>();
        for (Spec s : List.of(new Spec(), new Spec().with(x -> x.protocol = 1), new Spec().with(x -> x.sport = 1))) {
            ByteBuf b = s.buf();
            held.add(b);
            c.add(b);
        }
        List<ByteBuf> got = new ArrayList<>();
        try {
            c.flush(alloc, p -> {
                got.add(p);
                throw new IllegalStateException("device gone");
            });
        } catch (IllegalStateException expected) {
            // the first packet was handed over, the rest released
        }
        assertThat(c.held()).isZero();
        assertThat(got).hasSize(1);
        got.get(0).release();
        assertThat(held).allSatisfy(b -> assertThat(b.refCnt()).isZero());
    }

    private static byte[] bytesOf(ByteBuf out) {
        byte[] b = new byte[out.readableBytes()];
        out.getBytes(out.readerIndex(), b);
        return b;
    }
}
