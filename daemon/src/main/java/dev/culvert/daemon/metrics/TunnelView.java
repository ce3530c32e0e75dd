package dev.culvert.daemon.metrics;

import dev.culvert.protocol.Counters;
import dev.culvert.protocol.Peer;

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

    /** Wall-clock millis of the last completed handshake, 0 if none (as for a tunnel that is not running). */
    default long lastHandshakeEpochMillis() {
        return 0;
    }

    /** True while the tunnel has a session: its {@link #state()} is {@link Peer.State#UP} or {@link Peer.State#STALE}. */
    default boolean up() {
        Peer.State state = state();
        return state == Peer.State.UP || state == Peer.State.STALE;
    }

    /**
     * The tunnel's state (its peer's, {@link Peer.State#DOWN} without one); shown in lower case. Every
     * implementation says it: no default could know.
     */
    Peer.State state();

    /** The peer's current address, or null while unknown (as for a tunnel that is not running). */
    default InetSocketAddress endpoint() {
        return null;
    }

    /** The state as {@code culvert show} prints it: {@link #state()} in lower case, or {@code failed}. */
    default String stateName() {
        return state().name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Why the tunnel's configured settings could not start (the last reload's up hook failed, its device
     * could not be created), or null if they run. The tunnel then runs on its previous settings, or (state
     * {@code failed}) not at all until {@link #nextRetryEpochMillis()}.
     */
    default String failure() {
        return null;
    }

    /**
     * True for a tunnel that speaks an insecure protocol ({@code transport = vtun-legacy}): metric
     * {@code culvert_tunnel_insecure 1}, {@code insecure: vtun-legacy} in {@code culvert show}.
     */
    default boolean insecure() {
        return false;
    }

    /**
     * A vtun-legacy tunnel's session settings in use ({@code encrypt aes128cbc, compress lzo:9, keepalive no}, with who
     * decided them), or null for any other tunnel.
     */
    default String legacySession() {
        return null;
    }

    /** A vtun-legacy tunnel's compression in use ({@code off}, {@code lzo:9}, ...), or null for any other tunnel. */
    default String legacyCompression() {
        return null;
    }

    /** Wall-clock millis of the next attempt to start a failed tunnel, 0 if none is planned. */
    default long nextRetryEpochMillis() {
        return 0;
    }
}
