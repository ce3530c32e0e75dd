package dev.culvert.config;

import java.time.Duration;
import java.util.Objects;

/**
 * One named point-to-point tunnel ({@code culvert.tunnels.<name>}).
 *
 * @param name                the tunnel's name, as VTUN's session name
 * @param device              the local tun or tap device
 * @param peer                the far end
 * @param transport           how packets travel
 * @param persistentKeepalive interval of keepalives sent even when idle; {@link Duration#ZERO} means off
 */
public record TunnelConfig(String name, DeviceConfig device, PeerConfig peer, TransportKind transport,
                           Duration persistentKeepalive) {

    /** Null-checks every component. */
    public TunnelConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(persistentKeepalive, "persistentKeepalive");
    }

    /** True if persistent keepalive is on. */
    public boolean hasPersistentKeepalive() {
        return !persistentKeepalive.isZero();
    }
}
