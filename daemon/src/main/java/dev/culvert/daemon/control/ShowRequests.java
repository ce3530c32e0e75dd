package dev.culvert.daemon.control;

import dev.culvert.config.Cidr;
import dev.culvert.config.TunnelConfig;
import dev.culvert.daemon.Addresses;
import dev.culvert.daemon.metrics.TunnelView;
import dev.culvert.protocol.Counters;
import dev.culvert.protocol.DropReason;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Answers control requests from a live view of the daemon: {@code show} and {@code show NAME}. Reads only
 * thread-safe state (configs are immutable, {@link TunnelView} is safe from any thread).
 */
public final class ShowRequests {
    /** One running tunnel as the control socket sees it. */
    public record TunnelSource(TunnelConfig config, TunnelView view) {}

    /** The daemon's side, read afresh on each request (tunnels change on reload). */
    public interface Source {
        String publicKey();

        int listenPort();

        Counters interfaceCounters();

        List<TunnelSource> tunnels();
    }

    private ShowRequests() {}

    /** A control-socket handler over {@code source}. */
    public static java.util.function.Function<String, String> handler(Supplier<Source> source) {
        return request -> answer(source.get(), request);
    }

    static String answer(Source source, String request) {
        String[] words = request.trim().split("\\s+");
        if (words.length == 0 || !words[0].equals("show") || words.length > 2) {
            return Status.errorJson("unknown request '" + request + "'; expected: show [TUNNEL]");
        }
        List<Status.TunnelStatus> tunnels = new ArrayList<>();
        for (TunnelSource t : source.tunnels()) {
            if (words.length == 1 || t.config().name().equals(words[1])) {
                tunnels.add(tunnel(t));
            }
        }
        if (words.length == 2 && tunnels.isEmpty()) {
            return Status.errorJson("no tunnel named '" + words[1] + "'");
        }
        return new Status(source.publicKey(), source.listenPort(), tunnels, drops(source.interfaceCounters())).toJson();
    }

    static Status.TunnelStatus tunnel(TunnelSource source) {
        TunnelConfig c = source.config();
        TunnelView v = source.view();
        Counters k = v.counters();
        return new Status.TunnelStatus(c.name(), v.state().name().toLowerCase(Locale.ROOT), c.device().name(),
                c.device().mode().name().toLowerCase(Locale.ROOT), c.transport().name().toLowerCase(Locale.ROOT),
                c.compression().toString(), c.peer().publicKey(), v.endpoint() == null ? null : Addresses.format(v.endpoint()),
                c.peer().allowedIps().stream().map(Cidr::toString).toList(), v.lastHandshakeEpochMillis() / 1000,
                k.get(Counters.Kind.RX_BYTES), k.get(Counters.Kind.TX_BYTES), k.get(Counters.Kind.RX_PACKETS),
                k.get(Counters.Kind.TX_PACKETS), k.get(Counters.Kind.HANDSHAKES_COMPLETED),
                k.get(Counters.Kind.HANDSHAKES_FAILED), c.persistentKeepalive().getSeconds(), drops(k));
    }

    static Map<String, Long> drops(Counters counters) {
        Map<String, Long> drops = new LinkedHashMap<>();
        for (DropReason reason : DropReason.values()) {
            long n = counters.drops(reason);
            if (n != 0) {
                drops.put(reason.tag(), n);
            }
        }
        return drops;
    }
}
