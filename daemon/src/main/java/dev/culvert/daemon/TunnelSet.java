package dev.culvert.daemon;

import dev.culvert.config.CulvertConfig;
import dev.culvert.config.TunnelConfig;
import dev.culvert.daemon.control.ReloadOutcome;
import dev.culvert.daemon.control.ReloadOutcome.Change;
import dev.culvert.daemon.control.ReloadOutcome.TunnelChange;
import dev.culvert.daemon.control.RetryTiming;
import dev.culvert.daemon.metrics.DaemonMetrics;
import dev.culvert.daemon.metrics.TunnelView;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * The running tunnels and how a new configuration is applied to them as a diff, like {@code wg
 * syncconf}: a tunnel whose settings are unchanged keeps its device and its session and passes traffic
 * throughout; so does one whose changes {@link Tunnel#applyInPlace} can make live (keepalive, persist, allowed
 * IPs, endpoint, compression, MSS clamping, hooks); removed tunnels stop, ones whose identity changed
 * ({@link Tunnel#canApplyInPlace}: device, transport, peer key) restart, added ones start.
 *
 * <p>A tunnel that cannot start on reload (its up hook fails, its device cannot be created) starts again
 * on its previous settings if it had any ({@link Change#KEPT_OLD}, marked with {@link Tunnel#reloadFailed});
 * otherwise it is listed as a {@link FailedTunnel} ({@link Change#FAILED}) and, with {@code persist = true},
 * tried again with the persist backoff until it starts or a reload changes or removes it.
 *
 * <p>Not thread-safe for changes: {@link #apply}, {@link #open}, {@link #closeAll} and the retries run one at
 * a time (the daemon's reload lock). {@link #all()} and {@link #views()} are safe from any thread.
 */
final class TunnelSet {
    private static final System.Logger LOG = System.getLogger("culvert");

    /** Opens one tunnel (device, pipeline, link, hooks, path). */
    interface Opener {
        Tunnel open(TunnelConfig config) throws java.io.IOException;
    }

    /** Runs a retry later, under the same lock as reloads; the future cancels it. */
    interface Retries {
        Future<?> schedule(Runnable retry, long delayMillis);
    }

    /** Replaced in place by a reload; read by the watcher, metrics and the control socket. */
    private final List<Tunnel> tunnels = new CopyOnWriteArrayList<>();
    /** Configured tunnels with no running instance. */
    private final List<FailedTunnel> failed = new CopyOnWriteArrayList<>();
    private final DaemonMetrics metrics;
    private final Retries retries;
    private final LongSupplier wallClockMillis;
    private final DoubleSupplier jitter;

    TunnelSet(DaemonMetrics metrics) {
        this(metrics, (retry, delay) -> {
            throw new IllegalStateException("no retries here");
        }, System::currentTimeMillis, Math::random);
    }

    TunnelSet(DaemonMetrics metrics, Retries retries, LongSupplier wallClockMillis, DoubleSupplier jitter) {
        this.metrics = metrics;
        this.retries = retries;
        this.wallClockMillis = wallClockMillis;
        this.jitter = jitter;
    }

    /** The running instances. */
    List<Tunnel> all() {
        return tunnels;
    }

    /** The configured tunnels that could not start (state {@code failed}). */
    List<FailedTunnel> failed() {
        return failed;
    }

    /** Every configured tunnel as show and the status line see it: the running ones, then the failed ones. */
    List<TunnelView> views() {
        List<TunnelView> all = new ArrayList<>(tunnels);
        all.addAll(failed);
        return all;
    }

    /** Opens and adds a tunnel; logs what it is. */
    Tunnel open(TunnelConfig config, Opener opener) throws java.io.IOException {
        return add(config, opener.open(config));
    }

    /** Lists an opened tunnel; logs what it is. */
    private Tunnel add(TunnelConfig config, Tunnel tunnel) {
        tunnels.add(tunnel);
        metrics.addTunnel(tunnel);
        LOG.log(System.Logger.Level.INFO, "tunnel {0}: device {1} ({2}, mtu {3}{4}), {5}, peer {6}{7}",
                config.name(), config.device().name(),
                config.device().mode().name().toLowerCase(), String.valueOf(config.device().mtu()),
                config.device().address().map(a -> ", " + a).orElse(""),
                config.transport().name().toLowerCase()
                        + (config.compression().isOn() ? ", compression " + config.compression() : ""),
                config.peer().publicKey(),
                config.peer().endpoint().map(e -> " at " + e).orElse(", waiting for it to call in"));
        return tunnel;
    }

    /** Removes and closes a tunnel (down hooks, device, peer). */
    void close(Tunnel tunnel) {
        tunnels.remove(tunnel);
        metrics.removeTunnel(tunnel.name());
        try {
            tunnel.close();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "closing tunnel {0}: {1}", tunnel.name(), e.toString());
        }
    }

    void closeAll() {
        for (FailedTunnel f : List.copyOf(failed)) {
            forget(f);
        }
        for (Tunnel tunnel : List.copyOf(tunnels)) {
            close(tunnel);
        }
    }

    private void forget(FailedTunnel f) {
        f.cancelRetry();
        failed.remove(f);
        metrics.removeTunnel(f.name());
    }

    /** One tunnel to start: its new settings, the ones its stopped instance ran (null if none), and why. */
    private record Start(TunnelConfig wanted, TunnelConfig previous, Change change, List<String> details) {}

    /**
     * Applies {@code next}'s tunnels as a diff. Removals and restarts go first, so a device name freed by
     * one can be taken by another; then {@code beforeOpening} (new transports), then the openings.
     *
     * @return what happened to each tunnel: {@link ReloadOutcome#applied}'s outcome
     */
    ReloadOutcome apply(CulvertConfig next, Opener opener, Runnable beforeOpening) {
        Map<String, TunnelChange> changes = new LinkedHashMap<>();
        List<TunnelChange> removed = new ArrayList<>();
        List<Start> toStart = new ArrayList<>();
        for (Tunnel t : List.copyOf(tunnels)) {
            TunnelConfig wanted = next.tunnels().get(t.name());
            if (wanted == null) {
                close(t);
                removed.add(TunnelChange.of(t.name(), Change.REMOVED));
                LOG.log(System.Logger.Level.INFO, "reload: tunnel {0} removed", t.name());
            } else if (wanted.equals(t.config()) && !t.deviceLost()) {
                t.reloadFailed(null);
                changes.put(t.name(), TunnelChange.of(t.name(), Change.UNCHANGED));
            } else {
                List<String> why = restartReasons(t, wanted);
                if (why.isEmpty()) {
                    List<String> inPlace = applyInPlace(t, wanted);
                    if (inPlace != null) {
                        t.reloadFailed(null);
                        changes.put(t.name(), TunnelChange.of(t.name(), Change.UPDATED, inPlace));
                        continue;
                    }
                    why = List.of("the change could not be applied in place (see the log)");
                }
                boolean lost = t.deviceLost();
                close(t);
                // A lost device's settings are the wanted ones: nothing older to fall back to.
                toStart.add(new Start(wanted, lost ? null : t.config(), Change.RESTARTED, why));
                LOG.log(System.Logger.Level.INFO, "reload: tunnel {0} restarts: {1}", t.name(), String.join(", ", why));
            }
        }
        for (FailedTunnel f : List.copyOf(failed)) {
            forget(f);
            TunnelConfig wanted = next.tunnels().get(f.name());
            if (wanted == null) {
                removed.add(TunnelChange.of(f.name(), Change.REMOVED));
                LOG.log(System.Logger.Level.INFO, "reload: tunnel {0} (failed) removed", f.name());
            } else {
                toStart.add(new Start(wanted, null, Change.RESTARTED, Tunnel.restartReasons(f.config(), wanted)));
            }
        }
        for (TunnelConfig wanted : next.tunnels().values()) {
            if (!changes.containsKey(wanted.name()) && toStart.stream().noneMatch(s -> s.wanted().name().equals(wanted.name()))) {
                toStart.add(new Start(wanted, null, Change.ADDED, List.of()));
            }
        }
        beforeOpening.run();
        for (Start start : toStart) {
            changes.put(start.wanted().name(), start(start, opener));
        }
        List<TunnelChange> ordered = new ArrayList<>();
        for (String name : next.tunnels().keySet()) {
            ordered.add(changes.get(name));
        }
        ordered.addAll(removed);
        return ReloadOutcome.applied(ordered);
    }

    private TunnelChange start(Start start, Opener opener) {
        TunnelConfig wanted = start.wanted();
        String reason;
        try {
            open(wanted, opener);
            return TunnelChange.of(wanted.name(), start.change(), start.details());
        } catch (java.io.IOException | RuntimeException e) {
            reason = reason(e);
            LOG.log(System.Logger.Level.ERROR, "reload: tunnel {0} could not start: {1}", wanted.name(), reason);
        }
        if (start.previous() != null) {
            try {
                Tunnel old = open(start.previous(), opener);
                old.reloadFailed(reason);
                LOG.log(System.Logger.Level.WARNING, "reload: tunnel {0}: previous settings restored (device re-created); "
                        + "its new settings ({1}) could not start", wanted.name(), String.join(", ", start.details()));
                return TunnelChange.keptOld(wanted.name(), start.details(), reason);
            } catch (java.io.IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "reload: tunnel {0} could not start on its previous settings "
                        + "either: {1}", wanted.name(), reason(e));
            }
        }
        FailedTunnel f = fail(wanted, reason, 1, opener, null);
        return TunnelChange.failed(wanted.name(), reason, f.nextRetryEpochMillis(),
                f.nextRetryEpochMillis() == 0 ? 0 : RetryTiming.secondsUntil(f.nextRetryEpochMillis(), wallClockMillis.getAsLong()));
    }

    /**
     * Lists {@code config} as failed (in {@code replacing}'s place, if not null: show never misses it) and, with
     * persist on, schedules its next attempt.
     */
    private FailedTunnel fail(TunnelConfig config, String reason, int attempts, Opener opener, FailedTunnel replacing) {
        long delaySeconds = config.persist() ? RetryTiming.backoffSeconds(attempts, jitter.getAsDouble()) : 0;
        long delay = delaySeconds * 1000;
        FailedTunnel f = new FailedTunnel(config, reason, attempts,
                config.persist() ? wallClockMillis.getAsLong() + delay : 0);
        int at = replacing == null ? -1 : failed.indexOf(replacing);
        if (at >= 0) {
            failed.set(at, f);
        } else {
            failed.add(f);
        }
        metrics.addTunnel(f);
        if (config.persist()) {
            f.retry(retries.schedule(() -> retry(f, opener), delay));
            LOG.log(System.Logger.Level.WARNING, "tunnel {0} failed to start (attempt {1}); trying again in {2}",
                    config.name(), String.valueOf(attempts), RetryTiming.text(delaySeconds));
        } else {
            LOG.log(System.Logger.Level.WARNING, "tunnel {0} failed to start; persist is off, so it is not tried "
                    + "again until a reload", config.name());
        }
        return f;
    }

    /**
     * A scheduled attempt: if {@code f} is still listed (no reload replaced it), start its tunnel. {@code f} stays
     * listed (state failed) while the attempt runs, and is replaced by the running tunnel or by its next failure.
     */
    void retry(FailedTunnel f, Opener opener) {
        if (!failed.contains(f)) {
            return;
        }
        Tunnel tunnel;
        try {
            tunnel = opener.open(f.config());
        } catch (java.io.IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "tunnel {0} could not start: {1}", f.name(), reason(e));
            metrics.removeTunnel(f.name());
            fail(f.config(), reason(e), f.attempts() + 1, opener, f);
            return;
        }
        failed.remove(f);
        metrics.removeTunnel(f.name());
        add(f.config(), tunnel);
        LOG.log(System.Logger.Level.INFO, "tunnel {0} started on attempt {1}", f.name(), String.valueOf(f.attempts() + 1));
    }

    private static String reason(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /**
     * What keeps {@code t} from taking {@code wanted} in place: the settings only a new tunnel can change
     * ({@link Tunnel#restartReasons}), or a device that is gone; empty if {@link Tunnel#applyInPlace} can.
     */
    private static List<String> restartReasons(Tunnel t, TunnelConfig wanted) {
        if (t.deviceLost()) {
            return List.of("device " + t.config().device().name() + " was gone");
        }
        List<String> why = Tunnel.restartReasons(t.config(), wanted);
        if (why.isEmpty() && !t.canApplyInPlace(wanted)) {
            return List.of("a setting a live tunnel cannot change"); // or no peer: nothing live to change
        }
        return why;
    }

    /** Applies {@code wanted} to the live tunnel and logs what changed; null (logged) if that failed. */
    private static List<String> applyInPlace(Tunnel t, TunnelConfig wanted) {
        try {
            List<String> changes = t.applyInPlace(wanted);
            LOG.log(System.Logger.Level.INFO, "tunnel {0}: reloaded in place: {1}", t.name(), String.join(", ", changes));
            return changes;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "tunnel {0}: could not apply the change in place ({1}); restarting it",
                    t.name(), e.toString());
            return null;
        }
    }
}
