package dev.culvert.daemon.metrics;

import dev.culvert.protocol.Counters;

import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * What metrics and {@code culvert show} read of one running tunnel. Every method is safe from any
 * thread (the values are volatile fields or {@link Counters}, which the event loop publishes).
 */
public interface TunnelView {
    /** A tunnel's state as operators see it (log lines, {@code culvert show}, the {@code culvert_tunnel_up} meter). */
    enum State {
        /** No session yet; handshaking, or dialling the server. */
        CONNECTING,
        /** A session exists and the peer answers. */
        UP,
        /** Was up; now sending without hearing back, or re-handshaking unanswered. */
        STALE,
        /** Gave up, stopped, or waiting for a peer whose address we do not know to call in. */
        DOWN;

        /** The lower-case word used in JSON and text: connecting, up, stale, down. */
        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The tunnel's configured name. */
    String name();

    /** The peer's counters; never null (a tunnel not yet started shows zeros). */
    Counters counters();

    /** Wall-clock millis of the last completed handshake, 0 if none. */
    long lastHandshakeEpochMillis();

    /** True while the tunnel has a session ({@link State#UP} or {@link State#STALE}). */
    boolean up();

    /** The tunnel's state; every implementation says it (no default could know). */
    State state();

    /** The peer's current address, or null while unknown. */
    InetSocketAddress endpoint();
}
