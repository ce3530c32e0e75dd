package dev.culvert.config;

/** The kind of virtual device a tunnel carries: {@code tun} for IP packets, {@code tap} for Ethernet frames. */
public enum DeviceMode {
    /** Layer 3: IP packets (WireGuard-compatible). */
    TUN(1420),
    /** Layer 2: Ethernet frames (Culvert to Culvert only). */
    TAP(1500);

    private final int defaultMtu;

    DeviceMode(int defaultMtu) {
        this.defaultMtu = defaultMtu;
    }

    /**
     * The device MTU in bytes when {@code device.mtu} is not set. tun: 1420, which leaves room for WireGuard's
     * 32 bytes and an outer IPv6 + UDP header (48) on a 1500-byte link (what wg-quick and wireguard-go use).
     * tap: 1500, ordinary Ethernet's MTU, so a tap bridged with 1500-byte LAN ports passes every frame the LAN
     * sends (a Linux bridge drops a frame longer than the MTU of the port it leaves by); the outer datagram is
     * then fragmented by the kernel on a 1500-byte underlay.
     */
    public int defaultMtu() {
        return defaultMtu;
    }
}
