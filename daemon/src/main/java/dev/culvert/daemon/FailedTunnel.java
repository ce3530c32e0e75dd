package dev.culvert.daemon;

import dev.culvert.config.TunnelConfig;
import dev.culvert.daemon.control.RetryTiming;
import dev.culvert.daemon.metrics.TunnelView;
import dev.culvert.protocol.Counters;
import dev.culvert.protocol.Peer;

import java.util.concurrent.Future;

/**
 * A configured tunnel that could not start and has no running instance (state {@code failed}): what show,
 * metrics and the status line see until a retry starts it, a reload changes or removes it, or the daemon
 * stops. Retried after {@link RetryTiming#backoffSeconds} while its config has {@code persist = true}. No
 * handshake, no endpoint, not up: {@link TunnelView}'s defaults for a tunnel that does not run.
 */
final class FailedTunnel implements TunnelView {
    private final TunnelConfig config;
    /** Zeros: nothing passes a tunnel that does not run. */
    private final Counters zeros = new Counters();
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
    public Peer.State state() {
        return Peer.State.DOWN;
    }

    @Override
    public String stateName() {
        return "failed";
    }

    @Override
    public Counters counters() {
        return zeros;
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
