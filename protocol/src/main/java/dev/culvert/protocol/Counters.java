package dev.culvert.protocol;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counters written by the one thread that runs the engine and read by any (metrics, {@code show}).
 * Increments are a plain read plus an ordered store: cheap on the hot path, never torn for readers.
 */
public final class Counters {
    /** What a peer counts besides drops; MSS_CLAMPED: TCP SYNs whose MSS option {@code mss-clamp} lowered. */
    public enum Kind { RX_BYTES, RX_PACKETS, TX_BYTES, TX_PACKETS, HANDSHAKES_COMPLETED, HANDSHAKES_FAILED, HANDSHAKES_SENT,
        MSS_CLAMPED }

    private final AtomicLongArray kinds = new AtomicLongArray(Kind.values().length);
    private final AtomicLongArray drops = new AtomicLongArray(DropReason.values().length);

    /** Adds {@code delta} to {@code kind}. Owner thread only. */
    public void add(Kind kind, long delta) {
        int i = kind.ordinal();
        kinds.lazySet(i, kinds.get(i) + delta);
    }

    /** Counts one drop for {@code reason}. Owner thread only. */
    public void drop(DropReason reason) {
        int i = reason.ordinal();
        drops.lazySet(i, drops.get(i) + 1);
    }

    public long get(Kind kind) {
        return kinds.get(kind.ordinal());
    }

    public long drops(DropReason reason) {
        return drops.get(reason.ordinal());
    }

    /** A snapshot adding several counter sets up, e.g. the interface drops of the UDP and the TCP engine. */
    public static Counters sumOf(java.util.Collection<Counters> all) {
        Counters sum = new Counters();
        for (Counters c : all) {
            for (int i = 0; i < sum.kinds.length(); i++) {
                sum.kinds.set(i, sum.kinds.get(i) + c.kinds.get(i));
            }
            for (int i = 0; i < sum.drops.length(); i++) {
                sum.drops.set(i, sum.drops.get(i) + c.drops.get(i));
            }
        }
        return sum;
    }

    public long totalDrops() {
        long sum = 0;
        for (int i = 0; i < drops.length(); i++) {
            sum += drops.get(i);
        }
        return sum;
    }
}
