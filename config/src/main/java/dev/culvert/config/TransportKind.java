package dev.culvert.config;

/** How a tunnel's encrypted packets travel between the two sites. */
public enum TransportKind {
    /** One datagram per packet (WireGuard-compatible). */
    UDP,
    /** A stream of length-prefixed frames (Culvert to Culvert only; not supported yet). */
    TCP,
    /**
     * vtund 3.0.4's own protocol ({@code transport = vtun-legacy}), to keep a site that still runs vtund working;
     * insecure (no MAC, no replay protection, a password-derived static key). Settings in {@link LegacyConfig}.
     */
    VTUN_LEGACY
}
