package dev.culvert.daemon.control;

/**
 * The one place a failed tunnel's retry delay is chosen and shown: the persist backoff (5 s doubling to 30 s,
 * each wait plus a random 0 to 50 %, in whole seconds) and the rounding every text that names the wait uses
 * (the log, {@code STATUS=}, {@code culvert show}, {@code culvert reload}), so they all say the same number.
 */
public final class RetryTiming {
    private RetryTiming() {}

    /** First wait before a retry: the same 5 s as a persistent peer's handshake backoff (PeerTimers). */
    public static final long MIN_SECONDS = 5;
    /** The longest base wait between retries, as PeerTimers' persist backoff; the jitter adds up to half of it. */
    public static final long MAX_SECONDS = 30;

    /**
     * The wait before attempt {@code attempts + 1}, in whole seconds: {@code 5 * 2^(attempts-1)}, at most 30,
     * stretched by {@code jitter} (0..1) times 50 % and rounded down: 5-7 s, 10-15 s, 20-30 s, then 30-45 s.
     *
     * @param attempts how many times it failed in a row (1 for the first)
     * @param jitter   uniform in [0, 1)
     */
    public static long backoffSeconds(int attempts, double jitter) {
        long base = Math.min(MAX_SECONDS, MIN_SECONDS << Math.min(Math.max(attempts - 1, 0), 8));
        return (long) Math.floor(base * (1.0 + Math.min(Math.max(jitter, 0), 1) * 0.5));
    }

    /**
     * Whole seconds from {@code nowMillis} until {@code atMillis}, rounded up (a wait of 6 s just begun is
     * "6 s", not "5 s"), never negative.
     */
    public static long secondsUntil(long atMillis, long nowMillis) {
        return Math.max(0, Math.floorDiv(atMillis - nowMillis + 999, 1000));
    }

    /** "6 s": how every text names a wait. */
    public static String text(long seconds) {
        return seconds + " s";
    }
}
