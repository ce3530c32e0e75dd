package dev.culvert.protocol;

import dev.culvert.protocol.testing.MemoryLink;
import dev.culvert.protocol.testing.MemoryLink.Datagram;
import dev.culvert.protocol.testing.Packets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input, generated: whatever arrives — garbage, truncations, bit flips of real messages — the
 * engine drops and counts it, releases the buffer, answers nothing, and keeps its session.
 */
class EngineFuzzTest {

    @Property(tries = 300)
    void garbageIsDroppedCountedAndReleased(@ForAll @Size(max = 1600) byte[] bytes, @ForAll @IntRange(min = 0, max = 4) int type) {
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
        } finally {
            link.releaseAll();
        }
    }

    @Provide
    Arbitrary<List<Integer>> flips() {
        return Arbitraries.integers().between(0, 8 * 1500).list().ofMinSize(1).ofMaxSize(3);
    }

    @Property(tries = 200)
    void mutatedRealMessagesNeverBreakTheSession(@ForAll("flips") List<Integer> flips,
                                                 @ForAll @IntRange(min = 0, max = 2) int which,
                                                 @ForAll @IntRange(min = 0, max = 200) int truncate) {
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
            if (which != 2 && io.netty.buffer.ByteBufUtil.equals(mutated, original)) {
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
        } finally {
            link.releaseAll();
        }
    }
}
