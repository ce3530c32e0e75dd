package dev.culvert.daemon.log;

import dev.culvert.protocol.Counters;
import dev.culvert.protocol.DropReason;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Rate-limited drop messages. The engine only counts drops; this compares the counters with the last
 * look: the first drop of each reason in a scope (a tunnel, or the interface) is logged at once, later
 * ones are summed and logged at most once per {@link #SUMMARY_INTERVAL_NANOS} as
 * "tunnel t1: dropped 4 packets (replay: 3, bad_mac: 1) in the last 60 s". Runs on the event loop.
 */
public final class DropLog {
    private static final System.Logger LOG = System.getLogger("culvert.drops");
    public static final long SUMMARY_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final Consumer<String> sink;
    private final Map<String, Scope> scopes = new HashMap<>();

    private static final class Scope {
        final long[] seen = new long[DropReason.values().length];
        final long[] pending = new long[DropReason.values().length];
        final boolean[] announced = new boolean[DropReason.values().length];
        long windowStart;
    }

    public DropLog() {
        this(message -> LOG.log(System.Logger.Level.WARNING, message));
    }

    DropLog(Consumer<String> sink) {
        this.sink = sink;
    }

    /**
     * Looks at the counters of each scope ("tunnel t1", "interface"); scopes no longer present are forgotten.
     *
     * @param nowNanos a monotonic time
     */
    public void check(Map<String, Counters> counters, long nowNanos) {
        scopes.keySet().retainAll(counters.keySet());
        counters.forEach((name, c) -> check(name, c, nowNanos));
    }

    private void check(String name, Counters counters, long nowNanos) {
        Scope scope = scopes.computeIfAbsent(name, n -> {
            Scope s = new Scope();
            s.windowStart = nowNanos;
            return s;
        });
        for (DropReason reason : DropReason.values()) {
            int i = reason.ordinal();
            long total = counters.drops(reason);
            long delta = total - scope.seen[i];
            scope.seen[i] = total;
            if (delta <= 0) {
                continue;
            }
            if (!scope.announced[i]) {
                scope.announced[i] = true;
                sink.accept(name + ": dropped a packet: " + reason.tag() + " (further drops are summed up every "
                        + TimeUnit.NANOSECONDS.toSeconds(SUMMARY_INTERVAL_NANOS) + " s)");
                delta--;
            }
            scope.pending[i] += delta;
        }
        if (nowNanos - scope.windowStart >= SUMMARY_INTERVAL_NANOS) {
            summarise(name, scope, nowNanos);
        }
    }

    private void summarise(String name, Scope scope, long nowNanos) {
        long sum = 0;
        Map<String, Long> byReason = new LinkedHashMap<>();
        for (DropReason reason : DropReason.values()) {
            long n = scope.pending[reason.ordinal()];
            if (n > 0) {
                byReason.put(reason.tag(), n);
                sum += n;
            }
            scope.pending[reason.ordinal()] = 0;
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(nowNanos - scope.windowStart);
        scope.windowStart = nowNanos;
        if (sum == 0) {
            return;
        }
        StringJoiner reasons = new StringJoiner(", ");
        byReason.forEach((tag, n) -> reasons.add(tag + ": " + n));
        sink.accept(name + ": dropped " + sum + " packet" + (sum == 1 ? "" : "s") + " (" + reasons + ") in the last "
                + seconds + " s");
    }
}
