package dev.culvert.daemon;

import dev.culvert.config.CulvertConfig;
import dev.culvert.config.TunnelConfig;
import dev.culvert.daemon.metrics.DaemonMetrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The running tunnels and how a new configuration is applied to them as a diff, like {@code wg
 * syncconf}: a tunnel whose settings are unchanged keeps its device and its session and passes traffic
 * throughout; so does one whose changes {@link Tunnel#applyInPlace} can make live (keepalive, persist, allowed
 * IPs, endpoint, compression, MSS clamping, hooks); removed tunnels stop, ones whose identity changed
 * ({@link Tunnel#canApplyInPlace}: device, transport, peer key) restart, added ones start.
 */
final class TunnelSet {
    private static final System.Logger LOG = System.getLogger("culvert");

    /** Opens one tunnel (device, pipeline, link, hooks, path). */
    interface Opener {
        Tunnel open(TunnelConfig config) throws java.io.IOException;
    }

    /** What a reload did, for the log line. */
    record Outcome(int kept, int updated, int restarted, int added, int removed, List<String> failed) {}

    /** Replaced in place by a reload; read by the watcher, metrics and the control socket. */
    private final List<Tunnel> tunnels = new CopyOnWriteArrayList<>();
    private final DaemonMetrics metrics;

    TunnelSet(DaemonMetrics metrics) {
        this.metrics = metrics;
    }

    List<Tunnel> all() {
        return tunnels;
    }

    /** Opens and adds a tunnel; logs what it is. */
    Tunnel open(TunnelConfig config, Opener opener) throws java.io.IOException {
        Tunnel tunnel = opener.open(config);
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
        for (Tunnel tunnel : List.copyOf(tunnels)) {
            close(tunnel);
        }
    }

    /**
     * Applies {@code next}'s tunnels as a diff. Removals and restarts go first, so a device name freed by
     * one can be taken by another; then {@code beforeOpening} (new transports), then the openings.
     */
    Outcome apply(CulvertConfig next, Opener opener, Runnable beforeOpening) {
        Map<String, Tunnel> running = new LinkedHashMap<>();
        tunnels.forEach(t -> running.put(t.name(), t));
        int kept = 0;
        int updated = 0;
        int removed = 0;
        int restarted = 0;
        int added = 0;
        List<String> failed = new ArrayList<>();
        List<TunnelConfig> toOpen = new ArrayList<>();
        for (Tunnel t : running.values()) {
            TunnelConfig wanted = next.tunnels().get(t.name());
            if (wanted == null) {
                close(t);
                removed++;
                LOG.log(System.Logger.Level.INFO, "reload: tunnel {0} removed", t.name());
            } else if (wanted.equals(t.config()) && !t.deviceLost()) {
                kept++;
            } else if (t.canApplyInPlace(wanted) && applyInPlace(t, wanted)) {
                updated++;
            } else {
                boolean lost = t.deviceLost();
                close(t);
                toOpen.add(wanted);
                restarted++;
                LOG.log(System.Logger.Level.INFO, "reload: tunnel {0} {1}; restarting it", t.name(),
                        lost ? "lost its device" : "changed");
            }
        }
        for (TunnelConfig wanted : next.tunnels().values()) {
            if (!running.containsKey(wanted.name())) {
                toOpen.add(wanted);
                added++;
            }
        }
        beforeOpening.run();
        for (TunnelConfig wanted : toOpen) {
            try {
                open(wanted, opener);
            } catch (java.io.IOException | RuntimeException e) {
                failed.add(wanted.name());
                LOG.log(System.Logger.Level.ERROR, "reload: tunnel {0} could not start: {1}", wanted.name(),
                        e.getMessage());
            }
        }
        return new Outcome(kept, updated, restarted, added, removed, failed);
    }

    /** Applies {@code wanted} to the live tunnel and logs what changed; false (logged) if that failed. */
    private static boolean applyInPlace(Tunnel t, TunnelConfig wanted) {
        try {
            List<String> changes = t.applyInPlace(wanted);
            LOG.log(System.Logger.Level.INFO, "tunnel {0}: reloaded in place: {1}", t.name(), String.join(", ", changes));
            return true;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "tunnel {0}: could not apply the change in place ({1}); restarting it",
                    t.name(), e.toString());
            return false;
        }
    }
}
