package dev.culvert.protocol;

import dev.culvert.protocol.ext.Compression;

import java.net.InetSocketAddress;

/**
 * How one peer is configured in the engine.
 *
 * @param endpoint where to send until the peer's address is learned; null on a server that waits
 * @param persistentKeepaliveNanos 0 = off
 * @param mtu the tunnel device's MTU: larger outbound packets are dropped, padding stops here
 * @param ethernet true for a tap tunnel: payloads are Ethernet frames, sent with the extension header
 *                 (Culvert to Culvert only); false for IP packets (WireGuard-compatible unless compressing)
 * @param compression per-packet compression of what we send, or null for none (Culvert to Culvert only)
 * @param persist keep retrying the handshake forever (jittered exponential backoff) instead of giving up
 *                after REKEY_ATTEMPT_TIME, as WireGuard does
 * @param beforeRetry run (on the engine's thread) before each retry after the first give-up, e.g. to
 *                    re-resolve the endpoint's host name; null for nothing
 */
public record PeerOptions(AllowedIps allowedIps, InetSocketAddress endpoint, long persistentKeepaliveNanos,
                          int mtu, InboundSink sink, boolean ethernet, Compression compression, boolean persist,
                          Runnable beforeRetry) {

    /** Culvert extensions, WireGuard's give-up after 90 s of unanswered handshakes. */
    public PeerOptions(AllowedIps allowedIps, InetSocketAddress endpoint, long persistentKeepaliveNanos, int mtu,
                       InboundSink sink, boolean ethernet, Compression compression) {
        this(allowedIps, endpoint, persistentKeepaliveNanos, mtu, sink, ethernet, compression, false, null);
    }

    /** A WireGuard-compatible peer: IP packets, no compression. */
    public PeerOptions(AllowedIps allowedIps, InetSocketAddress endpoint, long persistentKeepaliveNanos, int mtu,
                       InboundSink sink) {
        this(allowedIps, endpoint, persistentKeepaliveNanos, mtu, sink, false, null);
    }

    /** True if what we send needs Culvert's extension header (and so a Culvert peer). */
    public boolean extended() {
        return ethernet || compression != null;
    }
}
