package dev.culvert.protocol;

import java.time.Clock;

/** The engine's two clocks, injectable so tests can freeze and advance time. */
public interface TimeSource {
    /** Monotonic nanoseconds, for every timer. */
    long nanoTime();

    /** Wall-clock time, only for TAI64N handshake timestamps. */
    Clock wallClock();

    static TimeSource system() {
        return new TimeSource() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public Clock wallClock() {
                return Clock.systemUTC();
            }
        };
    }
}
