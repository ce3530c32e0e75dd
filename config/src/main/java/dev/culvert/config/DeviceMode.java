package dev.culvert.config;

/** The kind of virtual device a tunnel carries: {@code tun} for IP packets, {@code tap} for Ethernet frames. */
public enum DeviceMode {
    /** Layer 3: IP packets (WireGuard-compatible). */
    TUN,
    /** Layer 2: Ethernet frames (Culvert to Culvert only). */
    TAP
}
