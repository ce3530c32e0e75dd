package dev.culvert.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The one peer at the far end of a tunnel ({@code culvert.tunnels.<name>.peer}).
 *
 * @param publicKey        the peer's Curve25519 public key in standard base64 (44 characters), validated
 * @param presharedKeyFile a file holding the base64 preshared key, checked like the private key file
 * @param endpoint         where to send the first handshake; empty if the peer is expected to call in
 * @param allowedIps       source prefixes accepted from the peer, host bits cleared
 */
public record PeerConfig(String publicKey, Optional<Path> presharedKeyFile, Optional<Endpoint> endpoint,
                         List<Cidr> allowedIps) {

    /** Null-checks and takes an unmodifiable copy of the allowed IPs. */
    public PeerConfig {
        Objects.requireNonNull(publicKey, "publicKey");
        Objects.requireNonNull(presharedKeyFile, "presharedKeyFile");
        Objects.requireNonNull(endpoint, "endpoint");
        allowedIps = List.copyOf(allowedIps);
    }
}
