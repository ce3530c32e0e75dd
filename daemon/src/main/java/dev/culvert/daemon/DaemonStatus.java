package dev.culvert.daemon;

import dev.culvert.crypto.Keys;
import dev.culvert.daemon.control.RetryTiming;
import dev.culvert.daemon.control.ShowRequests;
import dev.culvert.protocol.Counters;
import dev.culvert.protocol.transport.Transport;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the daemon tells about itself: the systemd status line, the control socket's {@code show}
 * source, the drop log's scopes and the interface counters the metrics sum. Reads only thread-safe
 * state (volatile fields, counters, immutable configs).
 */
final class DaemonStatus {
    private DaemonStatus() {}

    /** The longest reason the status line quotes. */
    private static final int REASON_CHARS = 60;

    /**
     * The systemd status line: how many tunnels have a session, then the tunnels that could not start
     * (with the reason and the next retry) and those that run on their previous settings, e.g.
     * {@code 1/2 tunnels up; failed: t3 (up hook failed: exit 1; retry in 10 s); previous settings: t2}.
     */
    static String line(TunnelSet set, long nowEpochMillis) {
        return line(set, List.of(), List.of(), nowEpochMillis);
    }

    /**
     * As {@link #line(TunnelSet, long)}, counting the vtun-legacy tunnels too: running ({@code legacy}; a persist-off
     * client whose session ended counts as failed) and not started ({@code legacyFailed}).
     */
    static String line(TunnelSet set, List<LegacyTunnel> legacy, List<FailedTunnel> legacyFailed, long nowEpochMillis) {
        List<Tunnel> running = set.all();
        List<dev.culvert.daemon.metrics.TunnelView> failed = new ArrayList<>(set.failed());
        failed.addAll(legacyFailed);
        legacy.stream().filter(LegacyTunnel::stopped).forEach(failed::add);
        long up = running.stream().filter(Tunnel::up).count() + legacy.stream().filter(LegacyTunnel::up).count();
        StringBuilder line = new StringBuilder().append(up).append('/')
                .append(running.size() + set.failed().size() + legacyFailed.size() + legacy.size())
                .append(" tunnels up");
        if (!failed.isEmpty()) {
            line.append("; failed: ");
            for (int i = 0; i < failed.size(); i++) {
                dev.culvert.daemon.metrics.TunnelView f = failed.get(i);
                line.append(i == 0 ? "" : ", ").append(f.name()).append(" (").append(shorten(f.failure()));
                if (f.nextRetryEpochMillis() != 0) {
                    line.append("; retry in ")
                            .append(RetryTiming.text(RetryTiming.secondsUntil(f.nextRetryEpochMillis(), nowEpochMillis)));
                }
                line.append(')');
            }
        }
        List<String> previous = new ArrayList<>(running.stream().filter(t -> t.failure() != null).map(Tunnel::name)
                .toList());
        legacy.stream().filter(t -> !t.stopped() && t.failure() != null).forEach(t -> previous.add(t.name()));
        if (!previous.isEmpty()) {
            line.append("; previous settings: ").append(String.join(", ", previous));
        }
        return line.toString();
    }

    private static String shorten(String reason) {
        String oneLine = reason.replace('\n', ' ');
        return oneLine.length() <= REASON_CHARS ? oneLine : oneLine.substring(0, REASON_CHARS - 3) + "...";
    }

    /** What {@code culvert show} reads, taken afresh on each request. */
    static ShowRequests.Source show(java.nio.file.Path configFile, byte[] publicKey, Transport udp, Transport tcp,
                                    TunnelSet set) {
        return show(configFile, publicKey, udp, tcp, set, List.of(), List.of(), new Counters(), 0);
    }

    /**
     * As {@link #show(java.nio.file.Path, byte[], Transport, Transport, TunnelSet)}, with the vtun-legacy tunnels, the
     * legacy listener's drops ({@code legacyInterface}, among the interface drops) and its port (0 if none).
     */
    static ShowRequests.Source show(java.nio.file.Path configFile, byte[] publicKey, Transport udp, Transport tcp,
                                    TunnelSet set, List<LegacyTunnel> legacy, List<FailedTunnel> legacyFailed,
                                    Counters legacyInterface, int legacyListenPort) {
        String instance = dev.culvert.config.CulvertConfig.instanceName(configFile);
        String file = configFile.toAbsolutePath().normalize().toString();
        List<ShowRequests.TunnelSource> views = new ArrayList<>();
        set.all().forEach(t -> views.add(new ShowRequests.TunnelSource(t.config(), t)));
        set.failed().forEach(f -> views.add(new ShowRequests.TunnelSource(f.config(), f)));
        legacy.forEach(t -> views.add(new ShowRequests.TunnelSource(t.config(), t)));
        legacyFailed.forEach(f -> views.add(new ShowRequests.TunnelSource(f.config(), f)));
        int port = udp == null || udp.localAddress() == null ? 0 : udp.localAddress().getPort();
        String key = Keys.encode(publicKey);
        List<Counters> interfaceSources = interfaceCounters(udp, tcp);
        interfaceSources.add(legacyInterface);
        Counters interfaceCounters = Counters.sumOf(interfaceSources);
        return new ShowRequests.Source() {
            @Override
            public String instance() {
                return instance;
            }

            @Override
            public String configFile() {
                return file;
            }

            @Override
            public String publicKey() {
                return key;
            }

            @Override
            public int listenPort() {
                return port;
            }

            @Override
            public int legacyListenPort() {
                return legacyListenPort;
            }

            @Override
            public Counters interfaceCounters() {
                return interfaceCounters;
            }

            @Override
            public List<ShowRequests.TunnelSource> tunnels() {
                return views;
            }
        };
    }

    /** The engines' own counters (drops not tied to a peer), one per transport in use. */
    static List<Counters> interfaceCounters(Transport udp, Transport tcp) {
        List<Counters> all = new ArrayList<>(2);
        if (udp != null) {
            all.add(udp.engine().counters());
        }
        if (tcp != null) {
            all.add(tcp.engine().counters());
        }
        return all;
    }

    /** What the drop log watches: each transport's engine counters and each tunnel's. */
    static Map<String, Counters> dropScopes(Transport udp, Transport tcp, List<Tunnel> tunnels) {
        Map<String, Counters> scopes = new LinkedHashMap<>();
        if (udp != null) {
            scopes.put("interface", udp.engine().counters());
        }
        if (tcp != null) {
            scopes.put("interface (tcp)", tcp.engine().counters());
        }
        tunnels.forEach(t -> scopes.put("tunnel " + t.name(), t.counters()));
        return scopes;
    }
}
