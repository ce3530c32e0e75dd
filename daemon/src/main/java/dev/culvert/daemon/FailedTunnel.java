package dev.culvert.daemon;

import dev.culvert.config.TunnelConfig;
import dev.culvert.daemon.metrics.TunnelView;
import dev.culvert.protocol.Counters;
import dev.culvert.protocol.Peer;

import java.net.InetSocketAddress;
import java.util.concurrent.Future;

/**
 * A configured tunnel that could not start and has no running instance (state {@code failed}): what show,
 * metrics and the status line see until a retry starts it, a reload changes or removes it, or the daemon
 * stops. Retried with {@link #backoffMillis(int, double)} while its config has {@code persist = true}.
 */
final class FailedTunnel implements TunnelView {
    /** First wait before a retry: the same 5 s as a persistent peer's handshake backoff (PeerTimers). */
    static final long RETRY_MIN_MILLIS = 5_000;
    /** The longest wait between retries, as PeerTimers' persist backoff. */
    static final long RETRY_MAX_MILLIS = 30_000;

    private final TunnelConfig config;
    private final Counters counters = new Counters();
    private final String reason;
    private final int attempts;
    private final long nextRetryEpochMillis;
    private Future<?> retry;

    /**
     * @param attempts             how many times it failed to start in a row (1 for the first)
     * @param nextRetryEpochMillis 0 if it is not retried (persist off)
     */
    FailedTunnel(TunnelConfig config, String reason, int attempts, long nextRetryEpochMillis) {
        this.config = config;
        this.reason = reason;
        this.attempts = attempts;
        this.nextRetryEpochMillis = nextRetryEpochMillis;
    }

    /** 5 s doubling to 30 s, stretched by {@code jitter} (0..1) times 50 %, as PeerTimers' persist backoff. */
    static long backoffMillis(int attempts, double jitter) {
        long base = Math.min(RETRY_MAX_MILLIS, RETRY_MIN_MILLIS << Math.min(Math.max(attempts - 1, 0), 8));
        return (long) (base * (1.0 + jitter * 0.5));
    }

    TunnelConfig config() {
        return config;
    }

    int attempts() {
        return attempts;
    }

    /** The scheduled retry, cancelled when a reload or the daemon's stop replaces this entry. */
    synchronized void retry(Future<?> future) {
        retry = future;
    }

    synchronized void cancelRetry() {
        if (retry != null) {
            retry.cancel(false);
        }
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public Counters counters() {
        return counters;
    }

    @Override
    public long lastHandshakeEpochMillis() {
        return 0;
    }

    @Override
    public boolean up() {
        return false;
    }

    @Override
    public Peer.State state() {
        return Peer.State.DOWN;
    }

    @Override
    public String stateName() {
        return "failed";
    }

    @Override
    public InetSocketAddress endpoint() {
        return null;
    }

    @Override
    public String failure() {
        return reason;
    }

    @Override
    public long nextRetryEpochMillis() {
        return nextRetryEpochMillis;
    }
}
