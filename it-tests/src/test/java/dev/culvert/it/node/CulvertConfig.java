package dev.culvert.it.node;

import dev.culvert.it.harness.SafeAddresses;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Renders a Culvert HOCON config with one tunnel, in the shape {@code reference.conf} documents:
 *
 * <pre>
 * culvert {
 *   private-key-file = "..."
 *   listen { udp = "192.0.2.1:51820" }      # only when listening
 *   tunnels { t1 { device {...}, peer {...}, transport = udp, keepalive {...} } }
 * }
 * </pre>
 */
public final class CulvertConfig {

    /** The tunnel's name in every config these tests write. */
    public static final String TUNNEL_NAME = "t1";

    private CulvertConfig() {
    }

    /**
     * The config text.
     *
     * @param privateKeyFile this side's key file (mode 0600)
     * @param listenUdp      {@code host:port} to listen on, or empty for a client on an ephemeral port
     */
    public static String render(Path privateKeyFile, Optional<String> listenUdp, LinkSpec link, PeerSpec peer) {
        listenUdp.ifPresent(SafeAddresses::requireUnderlay);
        StringBuilder out = new StringBuilder();
        out.append("culvert {\n");
        out.append("  private-key-file = ").append(quote(privateKeyFile.toString())).append('\n');
        listenUdp.ifPresent(listen -> out.append("  listen { udp = ").append(quote(listen)).append(" }\n"));
        out.append("  tunnels {\n");
        out.append("    ").append(TUNNEL_NAME).append(" {\n");
        out.append("      device {\n");
        out.append("        name = ").append(quote(link.deviceName())).append('\n');
        out.append("        mode = tun\n");
        out.append("        mtu = ").append(link.mtu()).append('\n');
        out.append("        address = ").append(quote(link.address())).append('\n');
        out.append("        routes = ").append(list(link.routes())).append('\n');
        out.append("      }\n");
        out.append("      peer {\n");
        out.append("        public-key = ").append(quote(peer.publicKey())).append('\n');
        peer.presharedKeyFile().ifPresent(psk ->
                out.append("        preshared-key-file = ").append(quote(psk.toString())).append('\n'));
        peer.endpoint().ifPresent(endpoint ->
                out.append("        endpoint = ").append(quote(endpoint)).append('\n'));
        out.append("        allowed-ips = ").append(list(peer.allowedIps())).append('\n');
        out.append("      }\n");
        out.append("      transport = udp\n");
        out.append("      keepalive { persistent = ").append(peer.persistentKeepaliveSeconds()).append("s }\n");
        out.append("    }\n");
        out.append("  }\n");
        out.append("}\n");
        return out.toString();
    }

    private static String list(List<String> values) {
        return values.stream().map(CulvertConfig::quote).collect(Collectors.joining(", ", "[", "]"));
    }

    private static String quote(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
