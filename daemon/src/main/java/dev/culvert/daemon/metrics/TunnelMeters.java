package dev.culvert.daemon.metrics;

import dev.culvert.daemon.Addresses;
import dev.culvert.protocol.Counters;
import dev.culvert.protocol.DropReason;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * The meters of one tunnel, all reading its {@link TunnelView} at scrape time (nothing is called per
 * packet). {@link #close} removes them, so a tunnel stopped by a reload leaves no series behind.
 */
final class TunnelMeters implements AutoCloseable {
    private static final String NO_ENDPOINT = "none";

    private final MeterRegistry registry;
    private final TunnelView view;
    private final Tags tags;
    private final List<Meter> meters = new ArrayList<>();
    private Meter endpointMeter;
    private String endpointShown;

    TunnelMeters(MeterRegistry registry, TunnelView view) {
        this.registry = registry;
        this.view = view;
        this.tags = Tags.of(MeterName.TUNNEL_TAG, view.name());
        counter(MeterName.RECEIVED_BYTES, Counters.Kind.RX_BYTES);
        counter(MeterName.SENT_BYTES, Counters.Kind.TX_BYTES);
        counter(MeterName.RECEIVED_PACKETS, Counters.Kind.RX_PACKETS);
        counter(MeterName.SENT_PACKETS, Counters.Kind.TX_PACKETS);
        counter(MeterName.HANDSHAKES_COMPLETED, Counters.Kind.HANDSHAKES_COMPLETED);
        counter(MeterName.HANDSHAKES_FAILED, Counters.Kind.HANDSHAKES_FAILED);
        counter(MeterName.MSS_CLAMPED, Counters.Kind.MSS_CLAMPED);
        for (DropReason reason : DropReason.values()) {
            meters.add(functionCounter(registry, MeterName.DROPS, tags.and(MeterName.REASON_TAG, reason.tag()),
                    view, v -> v.counters().drops(reason)));
        }
        meters.add(gauge(MeterName.LAST_HANDSHAKE_AGE, tags, v -> secondsSince(v.lastHandshakeEpochMillis())));
        meters.add(gauge(MeterName.UP, tags, v -> v.up() ? 1 : 0));
        meters.add(gauge(MeterName.START_FAILED, tags, v -> v.failure() != null ? 1 : 0));
        if (view.insecure()) {
            meters.add(gauge(MeterName.INSECURE, tags, v -> 1));
        }
        refreshEndpoint();
    }

    private void counter(MeterName name, Counters.Kind kind) {
        meters.add(functionCounter(registry, name, tags, view, v -> v.counters().get(kind)));
    }

    static <T> Meter functionCounter(MeterRegistry registry, MeterName name, Tags tags, T source,
                                     ToDoubleFunction<T> read) {
        return FunctionCounter.builder(name.meterName(), source, read)
                .description(name.description()).baseUnit(name.baseUnit()).tags(tags).register(registry);
    }

    private Meter gauge(MeterName name, Tags meterTags, ToDoubleFunction<TunnelView> read) {
        return Gauge.builder(name.meterName(), view, read).strongReference(true)
                .description(name.description()).baseUnit(name.baseUnit()).tags(meterTags).register(registry);
    }

    static double secondsSince(long epochMillis) {
        return epochMillis == 0 ? Double.NaN : Math.max(0, System.currentTimeMillis() - epochMillis) / 1000.0;
    }

    /** Re-tags the endpoint info meter if the peer has moved; called before each scrape. */
    synchronized void refreshEndpoint() {
        InetSocketAddress endpoint = view.endpoint();
        String shown = endpoint == null ? NO_ENDPOINT : Addresses.format(endpoint);
        if (Objects.equals(shown, endpointShown)) {
            return;
        }
        if (endpointMeter != null) {
            registry.remove(endpointMeter);
        }
        endpointMeter = gauge(MeterName.ENDPOINT, tags.and(MeterName.ENDPOINT_TAG, shown), v -> 1);
        endpointShown = shown;
    }

    @Override
    public synchronized void close() {
        meters.forEach(registry::remove);
        meters.clear();
        if (endpointMeter != null) {
            registry.remove(endpointMeter);
            endpointMeter = null;
        }
    }
}
