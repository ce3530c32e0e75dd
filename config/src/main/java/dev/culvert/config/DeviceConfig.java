package dev.culvert.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The tun or tap device of one tunnel ({@code culvert.tunnels.<name>.device}).
 *
 * @param name    the Linux interface name, 1..15 characters
 * @param mode    tun or tap
 * @param mtu     576..65000
 * @param address the interface address with its prefix, host bits allowed; empty if the device gets none
 * @param mac     tap only: the device's Ethernet address (aa:bb:cc:dd:ee:ff, unicast); empty: the kernel picks one
 * @param routes  prefixes routed into the device, host bits cleared
 * @param offload {@code device.offload}: true = auto (virtio-net header and what offloads the kernel accepts),
 *                false = off (plain packets)
 * @param existing {@code device.existing}: true = adopt an existing persistent device of that name (made with
 *                 {@code ip tuntap add}), which stays when Culvert stops; false = create it, refusing a name
 *                 that exists already
 */
public record DeviceConfig(String name, DeviceMode mode, int mtu, Optional<Cidr> address, List<Cidr> routes,
                           Optional<String> mac, boolean offload, boolean existing) {

    /** Null-checks and takes an unmodifiable copy of the routes. */
    public DeviceConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(address, "address");
        routes = List.copyOf(routes);
        Objects.requireNonNull(mac, "mac");
    }

    /** A device Culvert creates ({@code existing = false}). */
    public DeviceConfig(String name, DeviceMode mode, int mtu, Optional<Cidr> address, List<Cidr> routes,
                        Optional<String> mac, boolean offload) {
        this(name, mode, mtu, address, routes, mac, offload, false);
    }

    /** A device with {@code offload = auto}. */
    public DeviceConfig(String name, DeviceMode mode, int mtu, Optional<Cidr> address, List<Cidr> routes,
                        Optional<String> mac) {
        this(name, mode, mtu, address, routes, mac, true);
    }

    /** A device without a fixed MAC address, with {@code offload = auto}. */
    public DeviceConfig(String name, DeviceMode mode, int mtu, Optional<Cidr> address, List<Cidr> routes) {
        this(name, mode, mtu, address, routes, Optional.empty());
    }
}
