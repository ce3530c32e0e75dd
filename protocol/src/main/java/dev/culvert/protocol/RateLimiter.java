package dev.culvert.protocol;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * A token bucket per source for handshake messages while under load (as wireguard-go's
 * {@code ratelimiter} and the kernel's {@code ratelimiter.c}): {@link Limits#RATE_LIMIT_PER_SECOND} per
 * second, bursts of {@link Limits#RATE_LIMIT_BURST}. A source is one IPv4 address, or one IPv6 /64
 * (a host on IPv6 usually holds a whole /64, so counting single addresses would let it through 2^64
 * times). At most {@link Limits#RATE_LIMIT_SOURCES} sources are tracked; a new one beyond that is refused
 * until the sweep frees entries idle for over a second. Not thread-safe: the engine's event loop only.
 */
final class RateLimiter {
    private static final long PACKET_COST = 1_000_000_000L / Limits.RATE_LIMIT_PER_SECOND;
    private static final long MAX_TOKENS = PACKET_COST * Limits.RATE_LIMIT_BURST;
    private static final long IDLE_NANOS = 1_000_000_000L;

    private static final class Bucket {
        long tokens = MAX_TOKENS;
        long lastNanos;
    }

    /** IPv4 addresses keyed by their 32 bits; IPv6 by their first 64 (their /64). */
    private final Map<Integer, Bucket> v4 = new HashMap<>();
    private final Map<Long, Bucket> v6 = new HashMap<>();
    private final int maxSources;

    RateLimiter() {
        this(Limits.RATE_LIMIT_SOURCES);
    }

    RateLimiter(int maxSources) {
        this.maxSources = maxSources;
    }

    /** Takes one token from {@code source}'s bucket; false if it has none (or the table is full). */
    boolean allow(InetAddress source, long nowNanos) {
        byte[] a = source.getAddress();
        Bucket bucket = source instanceof Inet4Address ? v4.get(prefix32(a)) : v6.get(prefix64(a));
        if (bucket == null) {
            if (size() >= maxSources) {
                return false;
            }
            bucket = new Bucket();
            bucket.lastNanos = nowNanos;
            if (source instanceof Inet4Address) {
                v4.put(prefix32(a), bucket);
            } else {
                v6.put(prefix64(a), bucket);
            }
        }
        bucket.tokens = Math.min(MAX_TOKENS, bucket.tokens + (nowNanos - bucket.lastNanos));
        bucket.lastNanos = nowNanos;
        if (bucket.tokens >= PACKET_COST) {
            bucket.tokens -= PACKET_COST;
            return true;
        }
        return false;
    }

    /**
     * True if {@code source} has a bucket and it holds less than one token now: its next message would be refused.
     * Takes nothing (the engine asks this before it spends a BLAKE2s on mac1, so that a source already over its
     * rate costs a look-up, not a MAC; a message without our mac1 must not use up anyone's tokens).
     */
    boolean exhausted(InetAddress source, long nowNanos) {
        byte[] a = source.getAddress();
        Bucket bucket = source instanceof Inet4Address ? v4.get(prefix32(a)) : v6.get(prefix64(a));
        return bucket != null && Math.min(MAX_TOKENS, bucket.tokens + (nowNanos - bucket.lastNanos)) < PACKET_COST;
    }

    private static int prefix32(byte[] a) {
        return (a[0] & 0xFF) << 24 | (a[1] & 0xFF) << 16 | (a[2] & 0xFF) << 8 | (a[3] & 0xFF);
    }

    private static long prefix64(byte[] a) {
        long p = 0;
        for (int i = 0; i < 8; i++) {
            p = p << 8 | (a[i] & 0xFF);
        }
        return p;
    }

    /** Forgets sources idle for over a second (their buckets would be full again anyway). */
    void sweep(long nowNanos) {
        sweep(v4, nowNanos);
        sweep(v6, nowNanos);
    }

    private static void sweep(Map<?, Bucket> buckets, long nowNanos) {
        for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
            if (nowNanos - it.next().lastNanos > IDLE_NANOS) {
                it.remove();
            }
        }
    }

    int size() {
        return v4.size() + v6.size();
    }
}
