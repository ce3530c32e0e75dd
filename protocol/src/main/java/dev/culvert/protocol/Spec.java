package dev.culvert.protocol;

import java.util.concurrent.TimeUnit;

/**
 * Constants of the WireGuard protocol itself: the whitepaper §6 (timers) and the kernel's
 * {@code messages.h}. Implementation choices live in {@link Limits}, not here.
 */
public final class Spec {
    private Spec() {}

    /** Send a new handshake after this many messages under one keypair (2^60). */
    public static final long REKEY_AFTER_MESSAGES = 1L << 60;
    /** Never send or accept a counter at or above this, compared unsigned (2^64 - 2^13 - 1). */
    public static final long REJECT_AFTER_MESSAGES = -(1L << 13) - 1;
    public static final long REKEY_AFTER_TIME_NANOS = TimeUnit.SECONDS.toNanos(120);
    public static final long REJECT_AFTER_TIME_NANOS = TimeUnit.SECONDS.toNanos(180);
    public static final long REKEY_ATTEMPT_TIME_NANOS = TimeUnit.SECONDS.toNanos(90);
    public static final long REKEY_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** Up to this much random jitter is added to handshake retransmits. */
    public static final long REKEY_TIMEOUT_JITTER_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(334);
    public static final long KEEPALIVE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
    public static final long COOKIE_REFRESH_TIME_NANOS = TimeUnit.SECONDS.toNanos(120);
    /** A responder accepts at most one initiation per peer in this interval (50 per second). */
    public static final long HANDSHAKE_INITIATION_RATE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** REKEY_ATTEMPT_TIME / REKEY_TIMEOUT: retransmissions before a handshake is given up. */
    public static final int MAX_TIMER_HANDSHAKES = (int) (REKEY_ATTEMPT_TIME_NANOS / REKEY_TIMEOUT_NANOS);

    /** Transport data plaintext is zero-padded to a multiple of this. */
    public static final int MESSAGE_PADDING_MULTIPLE = 16;
    public static final int KEY_LENGTH = 32;
    public static final int AEAD_TAG_LENGTH = 16;
    public static final int MAC_LENGTH = 16;
    public static final int TIMESTAMP_LENGTH = 12;
    public static final int COOKIE_NONCE_LENGTH = 24;
}
