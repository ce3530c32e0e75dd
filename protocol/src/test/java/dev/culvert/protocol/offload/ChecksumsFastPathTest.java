package dev.culvert.protocol.offload;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.IllegalReferenceCountException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Checksums#add} on every kind of buffer (its native-address, NIO and {@code getLong} paths) against a
 * byte-by-byte sum written here, over random ranges and alignments, whole and split in two.
 */
class ChecksumsFastPathTest {

    private static ByteBuf buffer(String kind, int capacity) {
        return switch (kind) {
            case "pooled-direct" -> PooledByteBufAllocator.DEFAULT.directBuffer(capacity);
            case "unpooled-direct" -> Unpooled.directBuffer(capacity);
            case "heap" -> Unpooled.buffer(capacity);
            case "composite" -> {
                int half = capacity / 2;
                yield Unpooled.compositeBuffer().addComponent(true, Unpooled.directBuffer(half).writeZero(half))
                        .addComponent(true, Unpooled.buffer(capacity - half).writeZero(capacity - half)).writerIndex(0);
            }
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"pooled-direct", "unpooled-direct", "heap", "composite"})
    void addEqualsAByteByByteSum(String kind) {
        SplittableRandom random = new SplittableRandom(kind.hashCode());
        ByteBuf buf = buffer(kind, 70_000);
        try {
            while (buf.isWritable()) {
                buf.writeByte(random.nextInt(256));
            }
            for (int k = 0; k < 3000; k++) {
                int index = random.nextInt(2000);
                int length = k < 2000 ? random.nextInt(1600) : random.nextInt(68_000);
                int expected = GsoPackets.fold(GsoPackets.sum16(buf, index, index + length, 0));
                assertThat(Checksums.finish(Checksums.add(buf, index, length, 0)))
                        .as("[%d, +%d)", index, length).isEqualTo(~expected & 0xFFFF);
                int split = random.nextInt(length / 2 + 1) * 2; // ranges after the first start even
                long two = Checksums.add(buf, index + split, length - split, Checksums.add(buf, index, split, 0));
                assertThat(Checksums.finish(two)).as("split at %d", split).isEqualTo(~expected & 0xFFFF);
            }
            assertThatThrownBy(() -> Checksums.add(buf, 69_990, 100, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        } finally {
            buf.release();
        }
        assertThatThrownBy(() -> Checksums.add(buf, 0, 1000, 0)).isInstanceOf(IllegalReferenceCountException.class);
    }
}
