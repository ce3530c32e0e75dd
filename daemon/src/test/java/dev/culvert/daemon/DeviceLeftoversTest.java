package dev.culvert.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.culvert.config.ConfigLoader;
import dev.culvert.config.CulvertConfig;
import dev.culvert.crypto.Keys;
import dev.culvert.crypto.X25519;
import dev.culvert.protocol.testing.MemoryNetwork;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, item 4 over the twin platform: what a tunnel adds to an adopted device ({@code device.existing = true})
 * comes off it again when the daemon stops, when a reload restarts the tunnel, and when its start fails half-way;
 * a device the daemon created is left to the kernel (deleted with its fd, addresses and routes with it).
 */
class DeviceLeftoversTest {
    private static final InetSocketAddress A = new InetSocketAddress("192.0.2.1", 51820);

    @TempDir
    Path dir;
    private final TwinPlatform host = new TwinPlatform(new MemoryNetwork(), A);
    private Daemon daemon;
    private String peerKey;

    @BeforeEach
    void keys() throws Exception {
        TwinHosts.writeKey(dir.resolve("a.key"));
        peerKey = Keys.encode(X25519.publicKey(X25519.generatePrivateKey(new SecureRandom())));
    }

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    private CulvertConfig config(boolean existing, String routes) throws Exception {
        Path file = dir.resolve("a.conf");
        Files.writeString(file, """
                culvert {
                  private-key-file = a.key
                  listen.udp = "192.0.2.1:51820"
                  metrics.bind = off
                  control.socket = a.sock
                  tunnels {
                    t1 {
                      device { name = cv0, address = "198.18.0.1/30", routes = %s, existing = %s }
                      peer { public-key = "%s", allowed-ips = ["198.18.0.2/32", "198.18.4.0/24", "198.18.5.0/24"] }
                    }
                  }
                }
                """.formatted(routes, existing, peerKey));
        return ConfigLoader.load(file);
    }

    private List<List<String>> commandsFrom(int index) {
        return List.copyOf(host.commands.subList(index, host.commands.size()));
    }

    @Test
    void stoppingTakesTheAddressAndRoutesOffAnAdoptedDeviceRoutesFirst() throws Exception {
        daemon = Daemon.start(config(true, "[\"198.18.4.0/24\", \"198.18.5.0/24\"]"), host);
        assertThat(host.commands).contains(List.of("ip", "route", "replace", "198.18.4.0/24", "dev", "cv0"),
                List.of("ip", "route", "replace", "198.18.5.0/24", "dev", "cv0"));
        int started = host.commands.size();

        daemon.close();

        assertThat(commandsFrom(started)).containsExactly(
                List.of("ip", "route", "del", "198.18.5.0/24", "dev", "cv0"),
                List.of("ip", "route", "del", "198.18.4.0/24", "dev", "cv0"),
                List.of("ip", "address", "del", "198.18.0.1/30", "dev", "cv0"));
    }

    @Test
    void aDeviceTheDaemonCreatedIsLeftToTheKernel() throws Exception {
        daemon = Daemon.start(config(false, "[\"198.18.4.0/24\"]"), host);
        int started = host.commands.size();

        daemon.close();

        assertThat(commandsFrom(started)).as("closing the fd deletes the device, its address and routes").isEmpty();
        assertThat(host.devices.get("cv0").isOpen()).isFalse();
    }

    @Test
    void aReloadThatRestartsTheTunnelTakesOffTheOldRoutesBeforeSettingTheNewOnes() throws Exception {
        daemon = Daemon.start(config(true, "[\"198.18.4.0/24\"]"), host);
        int started = host.commands.size();

        daemon.reload(config(true, "[\"198.18.5.0/24\"]"));

        List<List<String>> reload = commandsFrom(started);
        assertThat(reload).containsSubsequence(
                List.of("ip", "route", "del", "198.18.4.0/24", "dev", "cv0"),
                List.of("ip", "address", "del", "198.18.0.1/30", "dev", "cv0"),
                List.of("ip", "address", "replace", "198.18.0.1/30", "dev", "cv0"),
                List.of("ip", "route", "replace", "198.18.5.0/24", "dev", "cv0"));
        assertThat(reload).doesNotContain(List.of("ip", "route", "del", "198.18.5.0/24", "dev", "cv0"));
        int reloaded = host.commands.size();

        daemon.close();

        assertThat(commandsFrom(reloaded)).containsExactly(
                List.of("ip", "route", "del", "198.18.5.0/24", "dev", "cv0"),
                List.of("ip", "address", "del", "198.18.0.1/30", "dev", "cv0"));
    }

    @Test
    void aStartThatFailsHalfWayTakesOffWhatItHadAddedAndOnlyThat() throws Exception {
        host.failingCommands = argv -> argv.contains("replace") && argv.contains("198.18.5.0/24");

        assertThatThrownBy(() -> Daemon.start(config(true, "[\"198.18.4.0/24\", \"198.18.5.0/24\"]"), host))
                .hasMessageContaining("cannot add route 198.18.5.0/24 via cv0: RTNETLINK answers: File exists");

        int failedAt = host.commands.indexOf(List.of("ip", "route", "replace", "198.18.5.0/24", "dev", "cv0"));
        assertThat(commandsFrom(failedAt + 1)).containsExactly(
                List.of("ip", "route", "del", "198.18.4.0/24", "dev", "cv0"),
                List.of("ip", "address", "del", "198.18.0.1/30", "dev", "cv0"));
    }
}
