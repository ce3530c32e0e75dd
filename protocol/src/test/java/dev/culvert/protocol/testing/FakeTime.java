package dev.culvert.protocol.testing;

import dev.culvert.protocol.TimeSource;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

/** A frozen clock for the engine: time moves only when a test calls {@link #advance}. */
public final class FakeTime implements TimeSource {
    private long nanos = 1_000_000_000_000L;
    private Instant wall = Instant.parse("2026-11-25T12:00:00Z");

    @Override
    public long nanoTime() {
        return nanos;
    }

    @Override
    public Clock wallClock() {
        return Clock.fixed(wall, ZoneOffset.UTC);
    }

    public void advance(Duration d) {
        nanos += d.toNanos();
        wall = wall.plus(d);
    }
}
