package dev.culvert.it.containers;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Renders a site's HOCON config, in the shape {@code reference.conf} documents, for the paths inside the
 * container ({@link SiteContainer#CONFIG_PATH}, {@link SiteContainer#KEY_PATH}).
 *
 * <p>Keys are written only when a test sets them, so a config that uses no new feature stays valid for a daemon
 * that does not know that feature yet (unknown keys are errors). Metrics and the control socket keep their
 * defaults: {@code 127.0.0.1:9586} and {@code /run/culvert/site/control.sock}.
 */
final class SiteConfig {

    private Optional<String> listenUdp = Optional.empty();
    private Optional<String> listenTcp = Optional.empty();
    private final List<TunnelSpec> tunnels = new ArrayList<>();

    /** Listen for UDP on {@code :port} (all addresses of the container). */
    SiteConfig listenUdp(int port) {
        listenUdp = Optional.of(":" + port);
        return this;
    }

    /** Listen for TCP on {@code :port} (all addresses of the container). */
    SiteConfig listenTcp(int port) {
        listenTcp = Optional.of(":" + port);
        return this;
    }

    SiteConfig tunnel(TunnelSpec tunnel) {
        tunnels.add(tunnel);
        return this;
    }

    List<TunnelSpec> tunnels() {
        return List.copyOf(tunnels);
    }

    /** The config text. */
    String render() {
        if (tunnels.isEmpty()) {
            throw new IllegalStateException("a site config needs at least one tunnel");
        }
        StringBuilder out = new StringBuilder("culvert {\n");
        out.append("  private-key-file = ").append(quote(SiteContainer.KEY_PATH)).append('\n');
        if (listenUdp.isPresent() || listenTcp.isPresent()) {
            out.append("  listen {\n");
            listenUdp.ifPresent(udp -> out.append("    udp = ").append(quote(udp)).append('\n'));
            listenTcp.ifPresent(tcp -> out.append("    tcp = ").append(quote(tcp)).append('\n'));
            out.append("  }\n");
        }
        out.append("  tunnels {\n");
        tunnels.forEach(tunnel -> renderTunnel(tunnel, out));
        return out.append("  }\n}\n").toString();
    }

    private static void renderTunnel(TunnelSpec tunnel, StringBuilder out) {
        out.append("    ").append(tunnel.name()).append(" {\n");
        out.append("      device {\n");
        out.append("        name = ").append(quote(tunnel.device())).append('\n');
        out.append("        mode = ").append(tunnel.mode()).append('\n');
        tunnel.address().ifPresent(address -> out.append("        address = ").append(quote(address)).append('\n'));
        out.append("      }\n");
        out.append("      peer {\n");
        out.append("        public-key = ").append(quote(tunnel.peerPublicKey())).append('\n');
        tunnel.endpoint().ifPresent(endpoint -> out.append("        endpoint = ").append(quote(endpoint)).append('\n'));
        out.append("        allowed-ips = ").append(list(tunnel.allowedIps())).append('\n');
        out.append("      }\n");
        out.append("      transport = ").append(tunnel.transport()).append('\n');
        out.append("      keepalive { persistent = ").append(tunnel.keepaliveSeconds()).append("s }\n");
        out.append("    }\n");
    }

    private static String list(List<String> values) {
        return values.stream().map(SiteConfig::quote).collect(Collectors.joining(", ", "[", "]"));
    }

    private static String quote(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
