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
 * @param metricsBind    where to serve Prometheus metrics; empty when turned off
 * @param controlSocket  the unix control socket's path (configured, or derived from the file name)
 * @param logLevel       error, warn, info, debug or trace (lower case)
 * @param listenTcp      the local TCP address to accept peers on (tunnels with transport = tcp); empty: none
 * @param aead           the data-path ChaCha20-Poly1305: auto, jdk, conscrypt or bc (lower case)
 * @param udpOffload     {@code culvert.udp-offload}: true = auto (UDP GSO and GRO where the kernel takes them),
 *                       false = off
 * @param listenVtunLegacy {@code culvert.listen.vtun-legacy}: the TCP address vtund clients connect to (vtun-legacy
 *                       server tunnels); empty: none
 */
public record CulvertConfig(Path source, Path privateKeyFile, Optional<InetSocketAddress> listenUdp,
                            Map<String, TunnelConfig> tunnels, Optional<InetSocketAddress> metricsBind,
                            Path controlSocket, String logLevel, Optional<InetSocketAddress> listenTcp,
                            String aead, boolean udpOffload, Optional<InetSocketAddress> listenVtunLegacy) {

    /** A configuration without a vtun-legacy listener. */
    public CulvertConfig(Path source, Path privateKeyFile, Optional<InetSocketAddress> listenUdp,
                         Map<String, TunnelConfig> tunnels, Optional<InetSocketAddress> metricsBind,
                         Path controlSocket, String logLevel, Optional<InetSocketAddress> listenTcp,
                         String aead, boolean udpOffload) {
        this(source, privateKeyFile, listenUdp, tunnels, metricsBind, controlSocket, logLevel, listenTcp, aead,
                udpOffload, Optional.empty());
    }

    /** A configuration with {@code udp-offload = auto}. */
    public CulvertConfig(Path source, Path privateKeyFile, Optional<InetSocketAddress> listenUdp,
                         Map<String, TunnelConfig> tunnels, Optional<InetSocketAddress> metricsBind,
                         Path controlSocket, String logLevel, Optional<InetSocketAddress> listenTcp, String aead) {
        this(source, privateKeyFile, listenUdp, tunnels, metricsBind, controlSocket, logLevel, listenTcp, aead, true);
    }

    /** A configuration with {@code aead = auto}. */
    public CulvertConfig(Path source, Path privateKeyFile, Optional<InetSocketAddress> listenUdp,
                         Map<String, TunnelConfig> tunnels, Optional<InetSocketAddress> metricsBind,
                         Path controlSocket, String logLevel, Optional<InetSocketAddress> listenTcp) {
        this(source, privateKeyFile, listenUdp, tunnels, metricsBind, controlSocket, logLevel, listenTcp, DEFAULT_AEAD);
    }

    /** A configuration that does not listen on TCP. */
    public CulvertConfig(Path source, Path privateKeyFile, Optional<InetSocketAddress> listenUdp,
                         Map<String, TunnelConfig> tunnels, Optional<InetSocketAddress> metricsBind,
                         Path controlSocket, String logLevel) {
        this(source, privateKeyFile, listenUdp, tunnels, metricsBind, controlSocket, logLevel, Optional.empty());
    }

    /** The directory that holds one directory per instance, each with its default control socket. */
    public static final Path CONTROL_SOCKET_DIR = Path.of("/run/culvert");
    /** The metrics address when the file names none. */
    public static final InetSocketAddress DEFAULT_METRICS_BIND = new InetSocketAddress("127.0.0.1", 9586);
    /** The log level when the file names none. */
    public static final String DEFAULT_LOG_LEVEL = "info";
    /** The data-path AEAD choice when the file names none: measured at start. */
    public static final String DEFAULT_AEAD = "auto";

    /** Null-checks and takes an unmodifiable, order-keeping copy of the tunnels. */
    public CulvertConfig {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(privateKeyFile, "privateKeyFile");
        Objects.requireNonNull(listenUdp, "listenUdp");
        tunnels = Collections.unmodifiableMap(new LinkedHashMap<>(tunnels));
        Objects.requireNonNull(metricsBind, "metricsBind");
        Objects.requireNonNull(controlSocket, "controlSocket");
        Objects.requireNonNull(logLevel, "logLevel");
        Objects.requireNonNull(listenTcp, "listenTcp");
        Objects.requireNonNull(aead, "aead");
        Objects.requireNonNull(listenVtunLegacy, "listenVtunLegacy");
    }

    /** A configuration with the default metrics address, control socket and log level. */
    public CulvertConfig(Path source, Path privateKeyFile, Optional<InetSocketAddress> listenUdp,
                         Map<String, TunnelConfig> tunnels) {
        this(source, privateKeyFile, listenUdp, tunnels, Optional.of(DEFAULT_METRICS_BIND),
                defaultControlSocket(source), DEFAULT_LOG_LEVEL);
    }

    /**
     * {@code /run/culvert/<file name without .conf>/control.sock}: {@code site-b.conf} gives
     * {@code /run/culvert/site-b/control.sock}. One directory per config, so the packaged unit's
     * {@code RuntimeDirectory=culvert/%i} holds one instance's socket and no other's: systemd deletes that
     * directory when the instance stops or restarts, and the other instances' sockets stay.
     */
    public static Path defaultControlSocket(Path configFile) {
        return CONTROL_SOCKET_DIR.resolve(instanceName(configFile)).resolve(CONTROL_SOCKET_NAME);
    }

    /**
     * The instance a config file names: its file name without {@code .conf} ({@code /etc/culvert/site-b.conf} is
     * {@code site-b}, the packaged unit's {@code culvert@site-b}); what {@code culvert show} heads its output with.
     */
    public static String instanceName(Path configFile) {
        String name = configFile.getFileName().toString();
        if (name.endsWith(".conf") && name.length() > ".conf".length()) {
            name = name.substring(0, name.length() - ".conf".length());
        }
        return name;
    }

    /** The file name of a default control socket, in its instance's directory under {@link #CONTROL_SOCKET_DIR}. */
    public static final String CONTROL_SOCKET_NAME = "control.sock";
}
