package dev.culvert.it.node;

import dev.culvert.it.harness.SafeAddresses;
import java.util.List;

/**
 * The tunnel device of one side: its name, its address, its MTU and the routes through it.
 *
 * @param deviceName interface name, at most 15 characters
 * @param address    this side's tunnel address with prefix, within 198.18.0.0/15
 * @param mtu        the device MTU
 * @param routes     extra prefixes routed into the tunnel, within 198.18.0.0/15
 */
public record LinkSpec(String deviceName, String address, int mtu, List<String> routes) {

    /** WireGuard's usual MTU: 1500 minus the IPv4, UDP and WireGuard overhead, rounded down. */
    public static final int DEFAULT_MTU = 1420;

    /** Linux IFNAMSIZ minus the terminating NUL. */
    public static final int MAX_NAME_LENGTH = 15;

    public LinkSpec {
        if (deviceName.isEmpty() || deviceName.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("device name '" + deviceName + "' must be 1.." + MAX_NAME_LENGTH + " characters");
        }
        SafeAddresses.requireOverlay(address);
        routes = List.copyOf(routes);
        routes.forEach(SafeAddresses::requireOverlay);
    }

    /** A device with the default MTU and no extra routes. */
    public static LinkSpec of(String deviceName, String address) {
        return new LinkSpec(deviceName, address, DEFAULT_MTU, List.of());
    }

    /** The address without its prefix length. */
    public String ip() {
        return address.substring(0, address.indexOf('/'));
    }
}
