package dev.culvert.protocol;

import dev.culvert.protocol.testing.MemoryLink;
import dev.culvert.protocol.testing.MemoryLink.Datagram;
import dev.culvert.protocol.testing.Packets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input, generated from fixed seeds: whatever arrives — garbage, truncations, bit flips of real
 * messages — the engine drops and counts it, releases the buffer, answers nothing, and keeps its session.
 * A failure names its seed; the test's display name is the seed too.
 */
class EngineFuzzTest {

    /** Lengths where the parsers' decisions change: empty, the 4-byte header, and each message size ±1. */
    private static final int[] EDGE_LENGTHS = {0, 1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 63, 64, 65, 91, 92, 93, 147, 148, 149};

    static LongStream garbageSeeds() {
        return LongStream.rangeClosed(1, 300);
    }

    static LongStream mutationSeeds() {
        return LongStream.rangeClosed(1, 200);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("garbageSeeds")
    void garbageIsDroppedCountedAndReleased(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        // Half the cases at an edge length, the rest anywhere up to 1600 bytes.
        int length = random.nextBoolean() ? EDGE_LENGTHS[random.nextInt(EDGE_LENGTHS.length)] : random.nextInt(1601);
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        int type = random.nextInt(5);
        MemoryLink link = new MemoryLink();
        try {
            if (bytes.length >= 4) {
                bytes[0] = (byte) type; // make the typed paths likely
                bytes[1] = bytes[2] = bytes[3] = 0;
            }
            ByteBuf buf = Unpooled.buffer(bytes.length).writeBytes(bytes);
            long before = link.b.engine.counters().totalDrops();
            link.b.engine.receive(buf, MemoryLink.A_ADDR);
            assertThat(buf.refCnt()).isZero();
            assertThat(link.wire).isEmpty();
            assertThat(link.b.engine.counters().totalDrops()).isEqualTo(before + 1);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("seed " + seed + " (" + length + " bytes, type " + type + "): " + e.getMessage(), e);
        } finally {
            link.releaseAll();
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("mutationSeeds")
    void mutatedRealMessagesNeverBreakTheSession(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] flips = random.ints(1 + random.nextInt(3), 0, 8 * 1500 + 1).toArray();
        int which = random.nextInt(3);
        int truncate = random.nextInt(201);
        MemoryLink link = new MemoryLink();
        try {
            link.a.peer.start();
            link.pump();
            link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 100));
            Datagram real = link.wire.poll();
            ByteBuf mutated = real.data().copy();
            ByteBuf original = real.data();
            int bits = mutated.readableBytes() * 8;
            for (int f : flips) {
                int bit = f % bits;
                if (which != 1 || bit >= 32) { // which==1: keep the header, hit the ciphertext
                    mutated.setByte(bit / 8, mutated.getByte(bit / 8) ^ (1 << (bit % 8)));
                }
            }
            if (which == 2) {
                mutated.writerIndex(Math.max(0, mutated.writerIndex() - Math.max(1, truncate)));
            }
            if (which != 2 && ByteBufUtil.equals(mutated, original)) {
                mutated.setByte(mutated.writerIndex() - 1, mutated.getByte(mutated.writerIndex() - 1) ^ 1); // flips cancelled out
            }
            original.release();
            link.b.engine.receive(mutated, MemoryLink.A_ADDR);
            assertThat(mutated.refCnt()).isZero();
            assertThat(link.b.delivered).isEmpty();
            // the session survives: a fresh packet still gets through
            link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 100));
            link.pump();
            assertThat(link.b.delivered).hasSize(1);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("seed " + seed + " (which " + which + ", truncate " + truncate + "): " + e.getMessage(), e);
        } finally {
            link.releaseAll();
        }
    }
}
