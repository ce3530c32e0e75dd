package dev.culvert.daemon.tun;

/**
 * TEMPORARY stand-in for {@code dev.culvert.config.DeviceMode}, which the config module does not
 * provide yet. Delete this file and import the config enum once it exists.
 */
public enum DeviceMode {
    /** Layer 3: IP packets. */
    TUN,
    /** Layer 2: Ethernet frames. */
    TAP
}
