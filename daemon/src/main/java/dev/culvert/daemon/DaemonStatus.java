package dev.culvert.daemon;

import dev.culvert.crypto.Keys;
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

    /** The systemd status line: how many tunnels have a session. */
    static String line(List<Tunnel> tunnels) {
        long up = tunnels.stream().filter(Tunnel::up).count();
        return up + "/" + tunnels.size() + " tunnels up";
    }

    /** What {@code culvert show} reads, taken afresh on each request. */
    static ShowRequests.Source show(byte[] publicKey, Transport udp, Transport tcp, List<Tunnel> tunnels) {
        List<ShowRequests.TunnelSource> views = List.copyOf(tunnels).stream()
                .map(t -> new ShowRequests.TunnelSource(t.config(), t)).toList();
        int port = udp == null || udp.localAddress() == null ? 0 : udp.localAddress().getPort();
        String key = Keys.encode(publicKey);
        Counters interfaceCounters = Counters.sumOf(interfaceCounters(udp, tcp));
        return new ShowRequests.Source() {
            @Override
            public String publicKey() {
                return key;
            }

            @Override
            public int listenPort() {
                return port;
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
