package dev.culvert.it.node;

import dev.culvert.it.harness.SafeAddresses;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The other side of a tunnel, as this side is told about it.
 *
 * @param publicKey                  the peer's public key, base64
 * @param presharedKeyFile           a file holding the preshared key, if one is used
 * @param endpoint                   where to reach the peer ({@code 192.0.2.2:51820}); empty on a server
 * @param allowedIps                 tunnel prefixes the peer may send from (and that are routed to it)
 * @param persistentKeepaliveSeconds 0 for none
 */
public record PeerSpec(String publicKey, Optional<Path> presharedKeyFile, Optional<String> endpoint,
                       List<String> allowedIps, int persistentKeepaliveSeconds) {

    public PeerSpec {
        endpoint.ifPresent(SafeAddresses::requireUnderlay);
        allowedIps = List.copyOf(allowedIps);
        allowedIps.forEach(SafeAddresses::requireOverlay);
    }

    /** A peer with no preshared key, no endpoint and no keepalive. */
    public static PeerSpec of(String publicKey, String... allowedIps) {
        return new PeerSpec(publicKey, Optional.empty(), Optional.empty(), List.of(allowedIps), 0);
    }

    /** The same peer, reached at {@code hostPort}. */
    public PeerSpec withEndpoint(String hostPort) {
        return new PeerSpec(publicKey, presharedKeyFile, Optional.of(hostPort), allowedIps, persistentKeepaliveSeconds);
    }

    /** The same peer, with a preshared key. */
    public PeerSpec withPresharedKey(Path file) {
        return new PeerSpec(publicKey, Optional.of(file), endpoint, allowedIps, persistentKeepaliveSeconds);
    }
}
