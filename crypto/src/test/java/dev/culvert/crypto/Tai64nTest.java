package dev.culvert.crypto;

import static dev.culvert.crypto.Hex.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class Tai64nTest {

    @Test
    void epochIsTwoToTheSixtySecondWithZeroNanos() {
        assertThat(hex(Tai64n.of(0, 0))).isEqualTo("400000000000000000000000");
    }

    @Test
    void fieldsAreBigEndian() {
        assertThat(hex(Tai64n.of(0x0102030405L, 0x0A0B0C0D))).isEqualTo("40000001020304050a0b0c0d");
    }

    @Test
    void orderFollowsTimeAcrossSecondsAndNanos() {
        assertThat(Tai64n.compare(Tai64n.of(10, 0), Tai64n.of(9, 999_999_999))).isPositive();
        assertThat(Tai64n.compare(Tai64n.of(9, 5), Tai64n.of(9, 6))).isNegative();
        assertThat(Tai64n.compare(Tai64n.of(9, 5), Tai64n.of(9, 5))).isZero();
        // Unsigned comparison: a byte 0x80 is negative as a Java byte, yet sorts after 0x7F.
        byte[] high = Tai64n.of(1, 0);
        high[11] = (byte) 0x80;
        byte[] low = Tai64n.of(1, 0);
        low[11] = (byte) 0x7F;
        assertThat(Tai64n.compare(high, low)).isPositive();
        assertThat(Tai64n.compare(low, high)).isNegative();
        // A label before 1970 (negative epoch second) is still before 1970.
        assertThat(Tai64n.compare(Tai64n.of(-1, 0), Tai64n.of(0, 0))).isNegative();
    }

    @Test
    void nowAddsTenSecondsLikeTheKernelAndWireguardGo() {
        Clock clock = Clock.fixed(Instant.ofEpochSecond(1_700_000_000L, 0), ZoneOffset.UTC);
        ByteBuffer label = ByteBuffer.wrap(Tai64n.now(clock));
        assertThat(label.getLong()).isEqualTo(0x400000000000000aL + 1_700_000_000L);
        assertThat(label.getInt()).isZero();
    }

    @Test
    void nowWhitensNanosDownToMultipleOfTwoToTheTwentyFour() {
        int nanos = 123_456_789;                          // 7 * 2^24 = 117 440 512 <= nanos < 8 * 2^24
        Clock clock = Clock.fixed(Instant.ofEpochSecond(1_700_000_000L, nanos), ZoneOffset.UTC);
        int encoded = ByteBuffer.wrap(Tai64n.now(clock)).getInt(8);
        assertThat(encoded).isEqualTo(7 << 24);
        Clock slightlyLater = Clock.fixed(Instant.ofEpochSecond(1_700_000_000L, nanos + 1_000_000), ZoneOffset.UTC);
        assertThat(Tai64n.now(slightlyLater)).as("same 16.8 ms bucket").isEqualTo(Tai64n.now(clock));
        Clock nextBucket = Clock.fixed(Instant.ofEpochSecond(1_700_000_000L, 8 << 24), ZoneOffset.UTC);
        assertThat(Tai64n.compare(Tai64n.now(nextBucket), Tai64n.now(clock))).isPositive();
    }

    @Test
    void rejectsBadNanosAndLengths() {
        assertThatThrownBy(() -> Tai64n.of(0, 1_000_000_000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Tai64n.of(0, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Tai64n.compare(new byte[11], new byte[12]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("11");
    }
}
