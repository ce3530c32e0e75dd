package dev.culvert.protocol;

import java.util.concurrent.TimeUnit;

/** Implementation limits of this engine (as opposed to the protocol constants in {@link Spec}). */
public final class Limits {
    private Limits() {}

    /** Outbound packets held per peer while a handshake is in progress; older ones are dropped first. */
    public static final int STAGED_PACKETS = 128;
    /** How often the adapter should call {@code Engine.tick()}; timer resolution. */
    public static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Handshake messages per second above which the engine is "under load" and demands cookies (mac2). */
    public static final int UNDER_LOAD_HANDSHAKES_PER_SECOND = 128;
    /** Once under load, stay so for at least this long. */
    public static final long UNDER_LOAD_HOLD_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Per-source-address token bucket for handshake initiations while under load. */
    public static final int RATE_LIMIT_PER_SECOND = 20;
    public static final int RATE_LIMIT_BURST = 5;
    /** The cookie secret is replaced this often (whitepaper §5.4.7: every two minutes). */
    public static final long COOKIE_SECRET_LIFETIME_NANOS = TimeUnit.SECONDS.toNanos(120);
}
