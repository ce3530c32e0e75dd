package dev.culvert.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A whole, validated Culvert configuration. Immutable: built once by {@link ConfigLoader}, then shared freely.
 *
 * @param source         the file it was read from
 * @param privateKeyFile this host's private key file (checked readable by owner only, and well-formed)
 * @param listenUdp      the local UDP address to listen on; empty for a pure client
 * @param tunnels        the tunnels by name, in the order of the file
 */
public record CulvertConfig(Path source, Path privateKeyFile, Optional<InetSocketAddress> listenUdp,
                            Map<String, TunnelConfig> tunnels) {

    /** Null-checks and takes an unmodifiable, order-keeping copy of the tunnels. */
    public CulvertConfig {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(privateKeyFile, "privateKeyFile");
        Objects.requireNonNull(listenUdp, "listenUdp");
        tunnels = Collections.unmodifiableMap(new LinkedHashMap<>(tunnels));
    }
}
