package dev.culvert.daemon.log;

import dev.culvert.protocol.Counters;
import dev.culvert.protocol.DropReason;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Rate-limited drop messages. The engine only counts drops; this compares the counters with the last
 * look: the first drop of each reason in a scope (a tunnel, or the interface) is logged at once, later
 * ones are summed and logged at most once per {@link #SUMMARY_INTERVAL_NANOS} as
 * "tunnel t1: dropped 4 packets (replay: 3, bad_mac: 1) in the last 60 s". Runs on the event loop.
 *
 * <p>Levels (issue 11: normal events are not warnings): a drop that ordinary operation produces is logged at INFO
 * ({@link #ROUTINE}: a handshake from a peer whose tunnel is not up yet while both sides start, a data packet for a
 * session the peer forgot by rebooting, the under-load limits at a start race, packets before an endpoint or a
 * connection exists, a replayed or reordered datagram, a cookie demanded under load); one that points at a
 * misconfiguration or an attack (a wrong key, allowed IPs or MTU, garbage, a device error, a handshake queue
 * overrun by a flood: {@code queue_full}) at WARNING. A summary takes the highest level of its reasons.
 * One routine reason turns into a warning when it lasts: {@code unknown_peer} in two summaries in a row (over a
 * minute of handshakes from a key we do not have) is a peer configured with our key while we lack or mistyped its
 * own, not a start race; the line then says what to check.
 */
public final class DropLog {
    private static final System.Logger LOG = System.getLogger("culvert.drops");
    public static final long SUMMARY_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** Reasons that ordinary operation produces, logged at INFO; all others at WARNING. */
    static final EnumSet<DropReason> ROUTINE = EnumSet.of(DropReason.UNKNOWN_PEER, DropReason.UNKNOWN_INDEX,
            DropReason.RATE_LIMITED, DropReason.UNDER_LOAD, DropReason.NO_ENDPOINT, DropReason.NO_CONNECTION, DropReason.STAGED_OVERFLOW,
            DropReason.EXPIRED_KEY, DropReason.REPLAY, DropReason.NO_ROUTE, DropReason.UNAUTHENTICATED_CONNECTION);

    /** Routine reasons that are a warning when they appear in two summaries in a row. */
    static final EnumSet<DropReason> WARN_WHEN_LASTING = EnumSet.of(DropReason.UNKNOWN_PEER);

    private final BiConsumer<System.Logger.Level, String> sink;
    private final Map<String, Scope> scopes = new HashMap<>();

    private static final class Scope {
        final long[] seen = new long[DropReason.values().length];
        final long[] pending = new long[DropReason.values().length];
        final boolean[] announced = new boolean[DropReason.values().length];
        final boolean[] inLastSummary = new boolean[DropReason.values().length];
        long windowStart;
    }

    public DropLog() {
        this.sink = (level, message) -> LOG.log(level, message);
    }

    /** A log whose lines go to {@code sink} without their level. */
    DropLog(Consumer<String> sink) {
        this.sink = (level, message) -> sink.accept(message);
    }

    private DropLog(BiConsumer<System.Logger.Level, String> sink, boolean levelled) {
        this.sink = sink;
    }

    /** A log whose lines go to {@code sink} with their level. */
    static DropLog levelled(BiConsumer<System.Logger.Level, String> sink) {
        return new DropLog(sink, true);
    }

    /** The level a drop of {@code reason} is logged at. */
    static System.Logger.Level level(DropReason reason) {
        return ROUTINE.contains(reason) ? System.Logger.Level.INFO : System.Logger.Level.WARNING;
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
                sink.accept(level(reason), name + ": dropped a packet: " + reason.tag() + " (further drops are summed up every "
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
        System.Logger.Level level = System.Logger.Level.INFO;
        Map<String, Long> byReason = new LinkedHashMap<>();
        String hint = "";
        for (DropReason reason : DropReason.values()) {
            int i = reason.ordinal();
            long n = scope.pending[i];
            System.Logger.Level reasonLevel = level(reason);
            if (n > 0 && WARN_WHEN_LASTING.contains(reason) && scope.inLastSummary[i]) {
                reasonLevel = System.Logger.Level.WARNING;
                hint = "; unknown_peer for over a minute: a peer has our public key but its own is not in our config"
                        + " (check peer.public-key on both sides)";
            }
            if (n > 0) {
                byReason.put(reason.tag(), n);
                sum += n;
                if (reasonLevel.getSeverity() > level.getSeverity()) {
                    level = reasonLevel;
                }
            }
            scope.inLastSummary[i] = n > 0;
            scope.pending[i] = 0;
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(nowNanos - scope.windowStart);
        scope.windowStart = nowNanos;
        if (sum == 0) {
            return;
        }
        StringJoiner reasons = new StringJoiner(", ");
        byReason.forEach((tag, n) -> reasons.add(tag + ": " + n));
        sink.accept(level, name + ": dropped " + sum + " packet" + (sum == 1 ? "" : "s") + " (" + reasons + ") in the last "
                + seconds + " s" + hint);
    }
}
