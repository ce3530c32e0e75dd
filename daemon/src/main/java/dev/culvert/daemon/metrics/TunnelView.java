package dev.culvert.daemon.metrics;

import dev.culvert.protocol.Counters;

import java.net.InetSocketAddress;

/**
 * What metrics and {@code culvert show} read of one running tunnel. Every method is safe from any
 * thread (the values are volatile fields or {@link Counters}, which the event loop publishes).
 */
public interface TunnelView {
    /** The tunnel's configured name. */
    String name();

    /** The peer's counters; never null (a tunnel not yet started shows zeros). */
    Counters counters();

    /** Wall-clock millis of the last completed handshake, 0 if none. */
    long lastHandshakeEpochMillis();

    /** True while a session with the peer is usable. */
    boolean up();

    /** connecting, up, stale or down; by default derived from {@link #up()}. */
    default String state() {
        return up() ? "up" : "down";
    }

    /** The peer's current address, or null while unknown. */
    InetSocketAddress endpoint();
}
