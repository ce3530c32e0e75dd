package dev.culvert.protocol;

import java.util.concurrent.TimeUnit;

/** Implementation limits of this engine (as opposed to the protocol constants in {@link Spec}). */
public final class Limits {
    private Limits() {}

    /** Outbound packets held per peer while a handshake is in progress; older ones are dropped first. */
    public static final int STAGED_PACKETS = 128;
    /** How often the adapter should call {@code Engine.tick()}; timer resolution. */
    public static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /**
     * Handshake messages the event loop hands to the handshake thread and holds until it gets to them, per lane
     * (wireguard-go's {@code QueueHandshakeSize}); one more is dropped as {@code queue_full}.
     */
    public static final int HANDSHAKE_QUEUE_LENGTH = 1024;
    /**
     * The engine is "under load" (demands mac2, rate-limits sources) while either lane of the handshake queue
     * holds at least this many (an eighth, as wireguard-go) ...
     */
    public static final int UNDER_LOAD_QUEUE_DEPTH = HANDSHAKE_QUEUE_LENGTH / 8;
    /** ... or more handshake messages than this arrive within one second. */
    public static final int UNDER_LOAD_HANDSHAKES_PER_SECOND = 128;
    /** Once under load, stay so for at least this long. */
    public static final long UNDER_LOAD_HOLD_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Per-source token bucket for handshake messages while under load (wireguard-go, the kernel). */
    public static final int RATE_LIMIT_PER_SECOND = 20;
    public static final int RATE_LIMIT_BURST = 5;
    /** Sources (IPv4 addresses, IPv6 /64s) the rate limiter tracks at once; new ones beyond are refused. */
    public static final int RATE_LIMIT_SOURCES = 1 << 16;
    /** The cookie secret is replaced this often (whitepaper §5.4.7: every two minutes). */
    public static final long COOKIE_SECRET_LIFETIME_NANOS = TimeUnit.SECONDS.toNanos(120);
}
