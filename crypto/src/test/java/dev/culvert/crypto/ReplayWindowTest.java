package dev.culvert.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The case table of the Linux kernel's WireGuard self-test (drivers/net/wireguard/selftest/counter.c),
 * restated here, plus a property over random arrival orders.
 */
class ReplayWindowTest {

    private static final long W = ReplayWindow.WINDOW_SIZE;
    /** One past the window: the kernel test's T_LIM. */
    private static final long LIM = W + 1;
    private static final long REJECT = ReplayWindow.REJECT_AFTER_MESSAGES;

    private final ReplayWindow window = new ReplayWindow();
    private int step;

    private void expect(long counter, boolean accepted) {
        step++;
        assertThat(window.validateAndRecord(counter))
                .as("step %d: counter %s", step, Long.toUnsignedString(counter))
                .isEqualTo(accepted);
    }

    @Test
    void constantsMatchTheWireGuardPaper() {
        assertThat(ReplayWindow.WINDOW_SIZE).isEqualTo(8192 - 64);
        assertThat(Long.toUnsignedString(REJECT)).isEqualTo("18446744073709543423"); // 2^64 - 2^13 - 1
    }

    @Test
    void kernelSelfTestSequence() {
        expect(0, true);
        expect(1, true);
        expect(1, false);                      // replay
        expect(9, true);                       // gap ahead
        expect(8, true);                       // fills in behind
        expect(7, true);
        expect(7, false);
        expect(LIM, true);                     // jump one past the window
        expect(LIM - 1, true);
        expect(LIM - 1, false);
        expect(LIM - 2, true);
        expect(2, true);                       // exactly at the far edge of the window: still in
        expect(2, false);
        expect(LIM + 16, true);
        expect(3, false);                      // the edge moved past it
        expect(LIM + 16, false);
        expect(LIM * 4, true);                 // big jump clears old blocks
        expect(LIM * 4 - (LIM - 1), true);     // the oldest counter still inside
        expect(10, false);                     // far too old
        expect(LIM * 4 - LIM, false);          // one older than the oldest inside
        expect(LIM * 4 - (LIM + 1), false);
        expect(LIM * 4 - (LIM - 2), true);
        expect(LIM * 4 + 1 - LIM, false);      // already recorded two steps ago
        expect(0, false);
        expect(REJECT, false);                 // the first counter never accepted
        expect(REJECT - 1, true);              // the last counter ever accepted
        expect(REJECT, false);
        expect(REJECT - 1, false);
        expect(REJECT - 2, true);
        expect(REJECT + 1, false);
        expect(REJECT + 2, false);
        expect(REJECT - 2, false);
        expect(REJECT - 3, true);
        expect(0, false);
        expect(-1L, false);                    // 2^64 - 1, the largest unsigned counter
    }

    @Test
    void fullWindowAscendingThenZeroStillFits() {
        for (long i = 1; i <= W; i++) {
            expect(i, true);
        }
        expect(0, true);
        expect(0, false);
    }

    @Test
    void oneBeyondFullWindowPushesZeroOut() {
        for (long i = 2; i <= W + 1; i++) {
            expect(i, true);
        }
        expect(1, true);
        expect(0, false);
    }

    @Test
    void fullWindowDescendingToZero() {
        for (long i = W; i >= 0; i--) {
            expect(i, true);
        }
    }

    @Test
    void descendingFromBeyondTheWindowLeavesZeroOut() {
        for (long i = W + 1; i >= 1; i--) {
            expect(i, true);
        }
        expect(0, false);
    }

    @Test
    void descendingThenTopThenZero() {
        for (long i = W; i >= 1; i--) {
            expect(i, true);
        }
        expect(W + 1, true);
        expect(0, false);
    }

    @Test
    void descendingThenZeroThenTop() {
        for (long i = W; i >= 1; i--) {
            expect(i, true);
        }
        expect(0, true);
        expect(W + 1, true);
    }

    @Test
    void resetForgetsEverything() {
        expect(0, true);
        expect(5 * LIM, true);
        window.reset();
        expect(0, true);
        expect(5 * LIM, true);
        expect(5 * LIM, false);
    }

    @Test
    void hugeJumpClearsStaleBitsOfReusedBlocks() {
        // After jumping exactly a multiple of the bitmap size, every block is reused: none may keep old bits.
        for (long i = 0; i < 200; i++) {
            expect(i, true);
        }
        long jump = 8192L * 1000 + 100;
        expect(jump, true);
        for (long i = jump - 150; i < jump; i++) {
            expect(i, true);
        }
    }

    /** 200 fixed seeds: each picks a base counter and an arrival order of one whole window. */
    static LongStream seeds() {
        return LongStream.rangeClosed(1, 200);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyCounterOfAShuffledWindowIsAcceptedExactlyOnce(long seed) {
        Random random = new Random(seed);
        long base = switch (random.nextInt(4)) {
            case 0 -> 0;                                    // a fresh session
            case 1 -> random.nextInt(100_001);              // early in a session
            case 2 -> random.nextLong() >>> 2;              // anywhere in [0, 2^62)
            default -> REJECT - W - 1;                      // the window ends at the last counter ever accepted
        };
        List<Long> offsets = new ArrayList<>();
        for (long i = 0; i < W; i++) {
            offsets.add(i);
        }
        Collections.shuffle(offsets, random);
        try {
            ReplayWindow w = new ReplayWindow();
            assertThat(w.validateAndRecord(base + W)).isTrue();    // the newest first: all others lie inside the window
            for (long offset : offsets) {
                assertThat(w.validateAndRecord(base + offset)).as("first sight of %d", base + offset).isTrue();
            }
            for (long offset : offsets) {
                assertThat(w.validateAndRecord(base + offset)).as("replay of %d", base + offset).isFalse();
            }
            if (base > 0) {
                assertThat(w.validateAndRecord(base - 1)).as("just outside the window").isFalse();
            }
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("seed " + seed + " (base " + base + "): " + e.getMessage(), e);
        }
    }
}
