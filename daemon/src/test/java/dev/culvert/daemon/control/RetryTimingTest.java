package dev.culvert.daemon.control;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The persist backoff in whole seconds, and the one rounding every text that names a wait uses. */
class RetryTimingTest {
    @Test
    void fiveSecondsDoublingToThirtyPlusUpToHalfAgainInWholeSeconds() {
        assertThat(RetryTiming.backoffSeconds(1, 0)).isEqualTo(5);
        assertThat(RetryTiming.backoffSeconds(1, 0.999)).isEqualTo(7);
        assertThat(RetryTiming.backoffSeconds(2, 0)).isEqualTo(10);
        assertThat(RetryTiming.backoffSeconds(2, 0.999)).isEqualTo(14);
        assertThat(RetryTiming.backoffSeconds(3, 0.5)).isEqualTo(25);
        assertThat(RetryTiming.backoffSeconds(4, 0)).isEqualTo(30);
        assertThat(RetryTiming.backoffSeconds(40, 0.999)).isEqualTo(44);
    }

    @Test
    void aWaitJustBegunIsItsWholeLengthAndCountsDownRoundingUp() {
        long at = 1_700_000_006_000L;
        assertThat(RetryTiming.secondsUntil(at, at - 6_000)).isEqualTo(6);
        assertThat(RetryTiming.secondsUntil(at, at - 5_990)).isEqualTo(6);
        assertThat(RetryTiming.secondsUntil(at, at - 5_000)).isEqualTo(5);
        assertThat(RetryTiming.secondsUntil(at, at + 1_000)).isZero();
        assertThat(RetryTiming.text(6)).isEqualTo("6 s");
    }
}
