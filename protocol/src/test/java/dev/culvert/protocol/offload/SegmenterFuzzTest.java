package dev.culvert.protocol.offload;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.culvert.protocol.Counters;
import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.offload.GsoPackets.Spec;
import dev.culvert.protocol.testing.LeakWatch;
import dev.culvert.protocol.wire.PacketRoom;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the virtio-net header parser through {@link SegmentationHandler}: whatever the header and packet hold,
 * nothing is thrown, every buffer (the input and all segment buffers) ends released once the test releases what
 * came out, and each input gives either exactly one {@code bad_offload} drop and nothing else, or packets that are
 * well-formed (checksums verify by the independent code in {@link GsoPackets}, sizes fit the MTU, the payload is
 * the input's).
 *
 * <p>Inputs are raw bytes (byte 0 picks raw mode) or, mostly, a real super-packet from {@link GsoPackets} with
 * byte edits aimed at the virtio-net, IP and TCP/UDP headers. Two drivers: Jazzer's {@code @FuzzTest} (under plain
 * JUnit it replays its seed corpus in {@code SegmenterFuzzTestInputs/}; {@code JAZZER_FUZZ=1} fuzzes with
 * coverage guidance for {@code maxDuration}; {@code scripts/fuzz.sh}), and a seeded random loop of 100,000 inputs
 * that always runs. Netty's leak detector is at PARANOID ({@link LeakWatch}): a reported leak fails the test.
 */
class SegmenterFuzzTest {
    static {
        LeakWatch.enable();
    }

    @AfterAll
    static void checkLeaksAfterGc() {
        LeakWatch.checkAfterGc();
    }

    private static final int MTU = 1500;
    private static final DeviceOffloads ALL = new DeviceOffloads(true, true, true, true, true, true);
    private static final Spec[] TEMPLATES = {
        Spec.tcp4(3000, 1448), Spec.tcp6(3000, 1428), Spec.udp4(3000, 1472), Spec.udp6(3000, 1452),
        Spec.tcp4(2000, 1448).link(14), Spec.tcp6(2000, 1428).link(18), Spec.udp4(900, 400).link(18),
        Spec.udp6(1452, 1452).link(14), Spec.tcp4(10, 4), Spec.tcp6(100, 1)};

    @FuzzTest(maxDuration = "30s")
    void virtioNetHdrParser(byte[] data) {
        check(data);
    }

    @Test
    void seededRandomInputs() {
        int[] outcomes = new int[3];
        SplittableRandom random = new SplittableRandom(0x5E6_0FF10ADL);
        for (int i = 0; i < 100_000; i++) {
            // Mostly short edit lists (few changes to a good packet); now and then long ones or raw bytes.
            int length = random.nextInt(8) == 0 ? random.nextInt(200) : 1 + 3 * random.nextInt(1, 5);
            byte[] data = new byte[length];
            random.nextBytes(data);
            try {
                outcomes[check(data)]++;
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("input " + i + ": " + ByteBufUtil.hexDump(data), e);
            }
        }
        // Not degenerate: each outcome is common (seen: ~44k dropped, ~20k passed on, ~36k segmented).
        assertThat(java.util.Arrays.stream(outcomes).min().orElseThrow()).isGreaterThan(10_000);
    }

    /** Counts every buffer it hands out, so that leaks (refCnt left above 0) can be asserted. */
    private static final class TrackingAllocator extends AbstractByteBufAllocator {
        final List<ByteBuf> allocated = new ArrayList<>();

        TrackingAllocator() {
            super(true);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf b = Unpooled.buffer(initialCapacity, maxCapacity);
            allocated.add(b);
            return b;
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf b = Unpooled.directBuffer(initialCapacity, maxCapacity);
            allocated.add(b);
            return b;
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    private static final int DROPPED = 0;
    private static final int PASSED_ON = 1;
    private static final int SEGMENTED = 2;

    /** Runs one input and checks the outcome; returns which it was ({@link #DROPPED}, ...). */
    private static int check(byte[] data) {
        ByteBuf input;
        boolean ethernet;
        int mode = data.length == 0 ? 0 : data[0] & 0xFF;
        if (mode < 16) {
            // Raw: byte 0's low bit picks tun/tap, the rest is header and packet as read.
            ethernet = (mode & 1) != 0;
            input = Unpooled.directBuffer(PacketRoom.HEADROOM + data.length + PacketRoom.TAILROOM);
            input.setIndex(PacketRoom.HEADROOM, PacketRoom.HEADROOM);
            if (data.length > 1) {
                input.writeBytes(data, 1, data.length - 1);
            }
        } else {
            Spec spec = TEMPLATES[mode % TEMPLATES.length];
            ethernet = spec.link() > 0 ? (mode & 0x80) == 0 : (mode & 0x80) != 0 && (mode & 0x40) != 0;
            input = GsoPackets.build(spec);
            if ((mode & 0x30) == 0x30) {
                // A plain packet with its checksum left partial (how the kernel hands over a non-GSO packet).
                input.setByte(input.readerIndex() + 1, VirtioNetHdr.GSO_NONE);
            }
            int span = VirtioNetHdr.LENGTH + spec.headers() + 8;
            for (int i = 1; i + 2 < data.length; i += 3) {
                int op = ((data[i] & 0xFF) << 8) | (data[i + 1] & 0xFF);
                byte value = data[i + 2];
                if (op >= 0xFF00) {
                    // Truncate to somewhere within the headers or the first bytes of payload.
                    input.writerIndex(input.readerIndex() + Math.min(input.readableBytes(), (value & 0xFF) % span));
                } else if (op >= 0xF000) {
                    // A whole header field of the virtio-net header to a small or boundary value.
                    int field = 2 + 2 * (op % 4);
                    int v = (value & 0x80) != 0 ? 0xFFFF - (value & 0x7F) : value & 0x7F;
                    input.setShortLE(input.readerIndex() + field, v);
                } else {
                    int at = op % Math.min(span, input.readableBytes() == 0 ? 1 : input.readableBytes());
                    if (at < input.readableBytes()) {
                        input.setByte(input.readerIndex() + at, value);
                    }
                }
            }
        }
        int at = input.readerIndex();
        int readable = input.readableBytes();
        int flags = readable >= VirtioNetHdr.LENGTH ? VirtioNetHdr.flags(input, at) : 0;
        int type = readable >= VirtioNetHdr.LENGTH ? VirtioNetHdr.gsoType(input, at) : -1;
        int csumField = -1;
        int csumStart = 0;
        if (readable >= VirtioNetHdr.LENGTH) {
            csumStart = VirtioNetHdr.csumStart(input, at);
            int field = csumStart + VirtioNetHdr.csumOffset(input, at);
            if (field + 2 <= readable - VirtioNetHdr.LENGTH) {
                csumField = input.getUnsignedShort(at + VirtioNetHdr.LENGTH + field);
            }
        }
        byte[] before = ByteBufUtil.getBytes(input, at, readable);

        Counters counters = new Counters();
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel channel = new EmbeddedChannel(new SegmentationHandler(ALL, ethernet, MTU, counters));
        channel.config().setAllocator(alloc);
        channel.writeInbound(input);
        List<ByteBuf> out = new ArrayList<>();
        int outcome;
        for (ByteBuf b; (b = channel.readInbound()) != null; ) {
            out.add(b);
        }
        try {
            long drops = counters.drops(DropReason.BAD_OFFLOAD);
            assertThat(counters.totalDrops()).isEqualTo(drops);
            if (drops == 1) {
                assertThat(out).isEmpty();
                assertThat(input.refCnt()).isZero();
                outcome = DROPPED;
            } else {
                assertThat(drops).isZero();
                assertThat(out).isNotEmpty();
                if (out.get(0) == input) {
                    checkPassedOn(input, before, type, flags, csumStart, csumField);
                    assertThat(out).hasSize(1);
                    outcome = PASSED_ON;
                } else {
                    assertThat(input.refCnt()).isZero();
                    checkSegments(out, before, ethernet);
                    outcome = SEGMENTED;
                }
            }
        } finally {
            out.forEach(ByteBuf::release);
            assertThat(channel.finish()).isFalse();
        }
        assertThat(input.refCnt()).as("input released").isZero();
        for (ByteBuf b : alloc.allocated) {
            assertThat(b.refCnt()).as("segment buffer released").isZero();
        }
        LeakWatch.check();
        return outcome;
    }

    /** GSO_NONE: the same buffer, header skipped, bytes unchanged except a completed checksum. */
    private static void checkPassedOn(ByteBuf packet, byte[] before, int type, int flags, int csumStart,
                                      int partial) {
        assertThat(type).isEqualTo(VirtioNetHdr.GSO_NONE);
        assertThat(packet.refCnt()).isEqualTo(1);
        assertThat(packet.readableBytes()).isEqualTo(before.length - VirtioNetHdr.LENGTH);
        int base = packet.readerIndex();
        if ((flags & VirtioNetHdr.F_NEEDS_CSUM) == 0) {
            assertThat(ByteBufUtil.getBytes(packet)).isEqualTo(java.util.Arrays.copyOfRange(before, 10,
                    before.length));
            return;
        }
        assertThat(partial).as("a NEEDS_CSUM packet passed on has its field inside").isNotNegative();
        int offset = ((before[9] & 0xFF) << 8 | (before[8] & 0xFF));
        if ((offset & 1) == 0) {
            // With the pseudo-header sum (the partial value that was in the field) the range verifies.
            int sum = GsoPackets.sum16(packet, base + csumStart, packet.writerIndex(), partial);
            assertThat(sum).isEqualTo(0xFFFF);
        }
    }

    /** Segments: each well-formed; their payloads in order are the input's payload. */
    private static void checkSegments(List<ByteBuf> out, byte[] before, boolean ethernet) {
        int link = 0;
        if (ethernet) {
            link = (before[VirtioNetHdr.LENGTH + 12] & 0xFF) == 0x81 ? 18 : 14;
        }
        int max = ethernet ? MTU + PacketRoom.LINK_HEADER : MTU;
        int offset = -1;
        for (ByteBuf seg : out) {
            int l4 = GsoPackets.verifySegment(seg, link, max);
            int protocol = (seg.getUnsignedByte(seg.readerIndex() + link) >>> 4) == 4
                    ? seg.getUnsignedByte(seg.readerIndex() + link + 9)
                    : seg.getUnsignedByte(seg.readerIndex() + link + 6);
            int headers = l4 + (protocol == 6 ? (seg.getUnsignedByte(seg.readerIndex() + l4 + 12) >>> 4) * 4 : 8);
            if (offset < 0) {
                offset = VirtioNetHdr.LENGTH + headers;
            }
            int chunk = seg.readableBytes() - headers;
            assertThat(chunk).isPositive();
            assertThat(ByteBufUtil.getBytes(seg, seg.readerIndex() + headers, chunk))
                    .isEqualTo(java.util.Arrays.copyOfRange(before, offset, offset + chunk));
            offset += chunk;
        }
        assertThat(offset).as("all payload emitted").isEqualTo(before.length);
    }
}
