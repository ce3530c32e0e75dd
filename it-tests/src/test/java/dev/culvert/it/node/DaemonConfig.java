package dev.culvert.it.node;

import dev.culvert.it.harness.SafeAddresses;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Renders a whole Culvert config with any number of {@link TunnelBlock}s, UDP and/or TCP listeners, and the
 * control socket in the node's own folder (daemons in different namespaces share one file system, so the
 * default {@code /run/culvert/culvert/control.sock} would collide). Metrics stay at their default: each namespace has
 * its own loopback.
 */
public final class DaemonConfig {

    /** File name of the control socket inside the node's folder. */
    public static final String CONTROL_SOCKET = "control.sock";

    private final Path privateKeyFile;
    private final Path controlSocket;
    private Optional<String> listenUdp = Optional.empty();
    private Optional<String> listenTcp = Optional.empty();
    private Optional<String> udpOffload = Optional.empty();
    private final List<TunnelBlock> tunnels = new ArrayList<>();

    private DaemonConfig(Path privateKeyFile, Path controlSocket) {
        this.privateKeyFile = privateKeyFile;
        this.controlSocket = controlSocket;
    }

    /** A config for {@code node}: its key, its control socket in its folder, no listener, no tunnel yet. */
    public static DaemonConfig of(CulvertNode node) {
        return new DaemonConfig(node.privateKeyFile(), node.dir().resolve(CONTROL_SOCKET));
    }

    /** A config with these files, for tests of the rendering itself. */
    static DaemonConfig of(Path privateKeyFile, Path controlSocket) {
        return new DaemonConfig(privateKeyFile, controlSocket);
    }

    /** A config for {@code node} that uses another key file (two processes with one identity). */
    public static DaemonConfig of(CulvertNode node, Path privateKeyFile) {
        return new DaemonConfig(privateKeyFile, node.dir().resolve(CONTROL_SOCKET));
    }

    /** Listens for UDP peers on {@code hostPort} (a documentation-range address). */
    public DaemonConfig listenUdp(String hostPort) {
        listenUdp = Optional.of(SafeAddresses.requireUnderlay(hostPort));
        return this;
    }

    /**
     * Listens for UDP peers on every address of the node's namespace ({@code ":port"}, Culvert's wildcard form: one
     * dual-stack socket that IPv4 and IPv6 peers reach alike). Safe as it is: a namespace a test made has only the
     * documentation-range addresses the test gave it.
     */
    public DaemonConfig listenUdpAll(int port) {
        listenUdp = Optional.of(":" + port);
        return this;
    }

    /** Accepts TCP peers on every address of the node's namespace ({@code ":port"}); see {@link #listenUdpAll}. */
    public DaemonConfig listenTcpAll(int port) {
        listenTcp = Optional.of(":" + port);
        return this;
    }

    /** Accepts TCP peers on {@code hostPort} (a documentation-range address). */
    public DaemonConfig listenTcp(String hostPort) {
        listenTcp = Optional.of(SafeAddresses.requireUnderlay(hostPort));
        return this;
    }

    /**
     * Sets {@code culvert.udp-offload} ({@link TunnelBlock#OFFLOAD_AUTO}: UDP GSO and GRO where the kernel takes
     * them; {@link TunnelBlock#OFFLOAD_OFF}: one datagram per send and receive).
     */
    public DaemonConfig udpOffload(String setting) {
        udpOffload = Optional.of(setting);
        return this;
    }

    /** Adds a tunnel. */
    public DaemonConfig tunnel(TunnelBlock tunnel) {
        tunnels.add(tunnel);
        return this;
    }

    /** The control socket's path. */
    public Path controlSocket() {
        return controlSocket;
    }

    /** The HOCON text. */
    public String render() {
        if (tunnels.isEmpty()) {
            throw new IllegalStateException("a config needs at least one tunnel");
        }
        StringBuilder out = new StringBuilder("culvert {\n");
        out.append("  private-key-file = ").append(quote(privateKeyFile.toString())).append('\n');
        out.append("  control.socket = ").append(quote(controlSocket.toString())).append('\n');
        udpOffload.ifPresent(o -> out.append("  udp-offload = ").append(o).append('\n'));
        if (listenUdp.isPresent() || listenTcp.isPresent()) {
            out.append("  listen {\n");
            listenUdp.ifPresent(l -> out.append("    udp = ").append(quote(l)).append('\n'));
            listenTcp.ifPresent(l -> out.append("    tcp = ").append(quote(l)).append('\n'));
            out.append("  }\n");
        }
        out.append("  tunnels {\n");
        tunnels.forEach(t -> t.render(out));
        out.append("  }\n}\n");
        return out.toString();
    }

    static String list(List<String> values) {
        return values.stream().map(DaemonConfig::quote).collect(Collectors.joining(", ", "[", "]"));
    }

    static String quote(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
