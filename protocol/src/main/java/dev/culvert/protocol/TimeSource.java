package dev.culvert.protocol;

import java.time.Clock;

/** The engine's two clocks, injectable so tests can freeze and advance time. */
public interface TimeSource {
    /** Monotonic nanoseconds, for every timer. */
    long nanoTime();

    /** Wall-clock time, only for TAI64N handshake timestamps. */
    Clock wallClock();

    /**
     * The event loop's own clock ({@code EventExecutor.ticker()}, Netty 4.2) for timers, so the engine
     * and the loop's scheduled tasks share one clock (frozen together in tests); UTC for timestamps.
     */
    static TimeSource of(io.netty.util.concurrent.Ticker ticker) {
        return new TimeSource() {
            @Override
            public long nanoTime() {
                return ticker.nanoTime();
            }

            @Override
            public Clock wallClock() {
                return Clock.systemUTC();
            }
        };
    }

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
