package dev.culvert.it.containers;

import dev.culvert.it.harness.SafeAddresses;
import java.util.List;
import java.util.Optional;

/**
 * One tunnel of a site's config (one {@code culvert.tunnels.<name>} block).
 *
 * @param name               the tunnel's name
 * @param device             the device's name inside the container
 * @param mode               {@code tun} or {@code tap}
 * @param address            the device's address with prefix, or empty for none (a tap port of a bridge)
 * @param peerPublicKey      the peer's public key
 * @param endpoint           where to reach the peer ({@code host:port}), or empty to wait for it to call in
 * @param allowedIps         prefixes the peer may send from
 * @param transport          {@code udp} or {@code tcp}
 * @param keepaliveSeconds   persistent keepalive, 0 for off
 */
record TunnelSpec(String name, String device, String mode, Optional<String> address, String peerPublicKey,
                  Optional<String> endpoint, List<String> allowedIps, String transport, int keepaliveSeconds) {

    TunnelSpec {
        address.ifPresent(SafeAddresses::requireOverlay);
        endpoint.ifPresent(SafeAddresses::requireUnderlay);
        allowedIps.forEach(SafeAddresses::requireOverlay);
        allowedIps = List.copyOf(allowedIps);
    }

    /** A tun tunnel over UDP, no endpoint, no keepalive. */
    static TunnelSpec tun(String name, String device, String address, String peerPublicKey, String... allowedIps) {
        return new TunnelSpec(name, device, "tun", Optional.of(address), peerPublicKey, Optional.empty(),
                List.of(allowedIps), "udp", 0);
    }

    TunnelSpec withEndpoint(String hostPort) {
        return new TunnelSpec(name, device, mode, address, peerPublicKey, Optional.of(hostPort), allowedIps, transport,
                keepaliveSeconds);
    }

    TunnelSpec withTransport(String newTransport) {
        return new TunnelSpec(name, device, mode, address, peerPublicKey, endpoint, allowedIps, newTransport,
                keepaliveSeconds);
    }

    TunnelSpec withKeepalive(int seconds) {
        return new TunnelSpec(name, device, mode, address, peerPublicKey, endpoint, allowedIps, transport, seconds);
    }

    /** The same tunnel in tap mode, with no address on the device (it becomes a bridge port). */
    TunnelSpec asTapPort() {
        return new TunnelSpec(name, device, "tap", Optional.empty(), peerPublicKey, endpoint, allowedIps, transport,
                keepaliveSeconds);
    }
}
