package dev.culvert.daemon.metrics;

import dev.culvert.protocol.Counters;
import dev.culvert.protocol.DropReason;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.PooledByteBufAllocator;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The daemon's meter registry: JVM and Netty pool meters, interface-level drops, and the meters of
 * each tunnel added with {@link #addTunnel}. Safe from any thread; meters read counters at scrape
 * time only.
 */
public final class DaemonMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, TunnelMeters> tunnels = new ConcurrentHashMap<>();
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final java.util.function.Supplier<? extends java.util.Collection<Counters>> interfaceCounters;

    /**
     * @param interfaceCounters the engines' own counters (drops not tied to a peer), read at each scrape and
     *                          summed over the engines (one per transport)
     */
    public DaemonMetrics(java.util.function.Supplier<? extends java.util.Collection<Counters>> interfaceCounters) {
        this.interfaceCounters = interfaceCounters; // Micrometer holds a function counter's source weakly
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        ByteBufAllocatorMetric pool = PooledByteBufAllocator.DEFAULT.metric();
        poolGauge(MeterName.NETTY_DIRECT_MEMORY, pool, ByteBufAllocatorMetric::usedDirectMemory);
        poolGauge(MeterName.NETTY_HEAP_MEMORY, pool, ByteBufAllocatorMetric::usedHeapMemory);
        for (DropReason reason : DropReason.values()) {
            TunnelMeters.functionCounter(registry, MeterName.INTERFACE_DROPS, Tags.of(MeterName.REASON_TAG, reason.tag()),
                    interfaceCounters, c -> c.get().stream().mapToLong(k -> k.drops(reason)).sum());
        }
    }

    private void poolGauge(MeterName name, ByteBufAllocatorMetric pool,
                           java.util.function.ToLongFunction<ByteBufAllocatorMetric> read) {
        Gauge.builder(name.meterName(), pool, p -> read.applyAsLong(p))
                .description(name.description()).baseUnit(name.baseUnit()).register(registry);
    }

    /** Registers a tunnel's meters, replacing those of an earlier tunnel of the same name. */
    public void addTunnel(TunnelView view) {
        TunnelMeters old = tunnels.put(view.name(), new TunnelMeters(registry, view));
        if (old != null) {
            old.close();
        }
    }

    /** Removes a tunnel's meters (a tunnel stopped by a reload). */
    public void removeTunnel(String name) {
        TunnelMeters old = tunnels.remove(name);
        if (old != null) {
            old.close();
        }
    }

    /** The Prometheus text exposition of every meter, endpoints refreshed first. */
    public String scrape() {
        tunnels.values().forEach(TunnelMeters::refreshEndpoint);
        return registry.scrape();
    }

    /** The content type {@link #scrape()} is written in. */
    public static String contentType() {
        return "text/plain; version=0.0.4; charset=utf-8";
    }

    @Override
    public void close() {
        tunnels.values().forEach(TunnelMeters::close);
        tunnels.clear();
        gc.close();
        registry.close();
    }
}
