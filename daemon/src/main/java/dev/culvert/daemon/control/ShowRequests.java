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
        /** The instance name ({@link dev.culvert.config.CulvertConfig#instanceName}), or null. */
        default String instance() {
            return null;
        }

        /** The config file the daemon runs, or null. */
        default String configFile() {
            return null;
        }

        String publicKey();

        int listenPort();

        /** The TCP port of {@code culvert.listen.vtun-legacy}, 0 if none is bound. */
        default int legacyListenPort() {
            return 0;
        }

        Counters interfaceCounters();

        List<TunnelSource> tunnels();
    }

    private ShowRequests() {}

    /** A control-socket handler that answers show requests only. */
    public static java.util.function.Function<String, String> handler(Supplier<Source> source) {
        return handler(source, null);
    }

    /**
     * The control socket's handler: {@code show} from {@code source}; {@code reload} runs {@code reload}
     * (on the answering thread, for as long as the reload takes) and answers its outcome.
     *
     * @param reload null if this daemon cannot reload over its socket
     */
    public static java.util.function.Function<String, String> handler(Supplier<Source> source,
                                                                     Supplier<ReloadOutcome> reload) {
        return line -> {
            ControlRequest request;
            try {
                request = ControlRequest.parse(line);
            } catch (IllegalArgumentException e) {
                return Status.errorJson(e.getMessage());
            }
            if (request.request().equals(ControlRequest.RELOAD)) {
                return reload == null ? Status.errorJson("this daemon cannot reload over its control socket")
                        : reload.get().toJson();
            }
            return answer(source.get(), request.tunnel());
        };
    }

    static String answer(Source source, String tunnel) {
        List<Status.TunnelStatus> tunnels = new ArrayList<>();
        for (TunnelSource t : source.tunnels()) {
            if (tunnel == null || t.config().name().equals(tunnel)) {
                tunnels.add(tunnel(t));
            }
        }
        if (tunnel != null && tunnels.isEmpty()) {
            return Status.errorJson("no tunnel named '" + tunnel + "'");
        }
        return new Status(source.instance(), source.configFile(), source.publicKey(), source.listenPort(), tunnels,
                drops(source.interfaceCounters()), source.legacyListenPort()).toJson();
    }

    static Status.TunnelStatus tunnel(TunnelSource source) {
        TunnelConfig c = source.config();
        TunnelView v = source.view();
        Counters k = v.counters();
        return new Status.TunnelStatus(c.name(), v.stateName(), c.device().name(),
                c.device().mode().name().toLowerCase(Locale.ROOT),
                c.transport().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                v.legacyCompression() != null ? v.legacyCompression() : c.compression().toString(), c.peer().publicKey(), v.endpoint() == null ? null : Addresses.format(v.endpoint()),
                c.peer().allowedIps().stream().map(Cidr::toString).toList(), v.lastHandshakeEpochMillis() / 1000,
                k.get(Counters.Kind.RX_BYTES), k.get(Counters.Kind.TX_BYTES), k.get(Counters.Kind.RX_PACKETS),
                k.get(Counters.Kind.TX_PACKETS), k.get(Counters.Kind.HANDSHAKES_COMPLETED),
                k.get(Counters.Kind.HANDSHAKES_FAILED), c.persistentKeepalive().getSeconds(), drops(k), v.failure(),
                v.nextRetryEpochMillis() / 1000,
                v.nextRetryEpochMillis() == 0 ? 0 : RetryTiming.secondsUntil(v.nextRetryEpochMillis(), System.currentTimeMillis()),
                c.isLegacy() ? "vtun-legacy" : null, v.legacySession());
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
