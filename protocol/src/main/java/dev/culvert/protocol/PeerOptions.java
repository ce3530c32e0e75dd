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
 */
public record PeerOptions(AllowedIps allowedIps, InetSocketAddress endpoint, long persistentKeepaliveNanos,
                          int mtu, InboundSink sink, boolean ethernet, Compression compression) {

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
