package dev.culvert.config;

/** How a tunnel's encrypted packets travel between the two sites. */
public enum TransportKind {
    /** One datagram per packet (WireGuard-compatible). */
    UDP,
    /** A stream of length-prefixed frames (Culvert to Culvert only; not supported yet). */
    TCP
}
