package dev.culvert.protocol;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * A token bucket per source address for handshake initiations while under load (as wireguard-go's
 * {@code ratelimiter}): {@link Limits#RATE_LIMIT_PER_SECOND} per second, bursts of
 * {@link Limits#RATE_LIMIT_BURST}. Idle entries are swept. Not thread-safe.
 */
final class RateLimiter {
    private static final long PACKET_COST = 1_000_000_000L / Limits.RATE_LIMIT_PER_SECOND;
    private static final long MAX_TOKENS = PACKET_COST * Limits.RATE_LIMIT_BURST;
    private static final long IDLE_NANOS = 1_000_000_000L;

    private static final class Bucket {
        long tokens = MAX_TOKENS;
        long lastNanos;
    }

    private final Map<InetAddress, Bucket> buckets = new HashMap<>();

    boolean allow(InetAddress source, long nowNanos) {
        Bucket bucket = buckets.computeIfAbsent(source, k -> {
            Bucket b = new Bucket();
            b.lastNanos = nowNanos;
            return b;
        });
        bucket.tokens = Math.min(MAX_TOKENS, bucket.tokens + (nowNanos - bucket.lastNanos));
        bucket.lastNanos = nowNanos;
        if (bucket.tokens >= PACKET_COST) {
            bucket.tokens -= PACKET_COST;
            return true;
        }
        return false;
    }

    void sweep(long nowNanos) {
        for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
            if (nowNanos - it.next().lastNanos > IDLE_NANOS) {
                it.remove();
            }
        }
    }

    int size() {
        return buckets.size();
    }
}
