package dev.culvert.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.culvert.config.ConfigLoader;
import dev.culvert.config.CulvertConfig;
import dev.culvert.daemon.control.ControlClient;
import dev.culvert.daemon.control.ControlRequest;
import dev.culvert.daemon.control.Status;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new-user test of issue 11: a second daemon whose control socket path a live daemon serves (the same config file
 * name in another folder gives the same default path) started with only a warning, unreachable by show and reload.
 * Now it does not start (a {@link Daemon.Conflict}: exit 78), naming the path, the holder and the fix; a socket
 * file a killed daemon left is removed and the daemon starts.
 */
class ControlSocketClashTest {
    @TempDir
    Path dir;

    private CulvertConfig config(String site, String underlay, String peerKey) throws Exception {
        Path folder = Files.createDirectories(dir.resolve(site));
        TwinHosts.writeKey(folder.resolve("a.key"));
        Path file = folder.resolve("site.conf");
        Files.writeString(file, """
                culvert {
                  private-key-file = a.key
                  listen.udp = "%s:51820"
                  metrics.bind = off
                  control.socket = "%s"
                  tunnels.t1 {
                    device { name = cv-a1, address = "198.18.0.1/30" }
                    peer { public-key = "%s", allowed-ips = ["198.18.0.2/32"] }
                  }
                }
                """.formatted(underlay, dir.resolve("run/site/control.sock"), peerKey));
        return ConfigLoader.load(file);
    }

    @Test
    void aSecondDaemonOnALiveDaemonsSocketDoesNotStart() throws Exception {
        String peer = TwinHosts.writeKey(dir.resolve("peer.key"));
        CulvertConfig first = config("one", "192.0.2.1", peer);
        CulvertConfig second = config("two", "192.0.2.2", peer);
        Path socket = first.controlSocket();
        try (Daemon running = Daemon.start(first, TwinHosts.at(new InetSocketAddress("192.0.2.1", 51820)))) {
            String key = Status.fromJson(ControlClient.request(socket, ControlRequest.show(null))).publicKey();
            assertThatThrownBy(() -> Daemon.start(second, TwinHosts.at(new InetSocketAddress("192.0.2.2", 51820))))
                    .satisfies(e -> assertThat(e instanceof Daemon.Conflict || e.getCause() instanceof Daemon.Conflict)
                            .as("a Conflict (exit 78): %s", e).isTrue())
                    .hasMessageContaining(socket.toString())
                    .hasMessageContaining("public key " + key)
                    .hasMessageContaining("instance site (" + first.source().toAbsolutePath().normalize() + ")")
                    .hasMessageContaining("culvert.control.socket");
            // The first still answers on it.
            assertThat(Status.fromJson(ControlClient.request(socket, ControlRequest.show(null))).publicKey())
                    .isEqualTo(key);
        }
    }

    @Test
    void aSocketFileAKilledDaemonLeftIsRemovedWithAnInfoLine() throws Exception {
        String peer = TwinHosts.writeKey(dir.resolve("peer.key"));
        CulvertConfig config = config("one", "192.0.2.1", peer);
        Path socket = config.controlSocket();
        Files.createDirectories(socket.getParent());
        // What a SIGKILLed daemon leaves: a bound socket file nobody listens on (connect: refused).
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        }
        assertThat(socket).exists();
        try (LogLines log = LogLines.of("culvert.control");
             Daemon daemon = Daemon.start(config, TwinHosts.at(new InetSocketAddress("192.0.2.1", 51820)))) {
            assertThat(daemon.controlSocket()).isEqualTo(socket);
            Status status = Status.fromJson(ControlClient.request(socket, ControlRequest.show(null)));
            assertThat(status.tunnels()).hasSize(1);
            // show's header names the instance (site.conf: culvert@site) and its file, not "interface: culvert"
            assertThat(status.instance()).isEqualTo("site");
            assertThat(status.configFile()).isEqualTo(config.source().toAbsolutePath().normalize().toString());
            assertThat(log.lines()).anySatisfy(l -> assertThat(l).contains(socket.toString()).contains("removed"));
        }
    }
}
