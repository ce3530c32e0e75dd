package dev.culvert.daemon;

import static dev.culvert.daemon.TwinPackets.ipv4;
import static dev.culvert.daemon.TwinPackets.take;

import dev.culvert.config.CulvertConfig;
import dev.culvert.crypto.Keys;
import dev.culvert.daemon.control.ControlClient;
import dev.culvert.protocol.Counters;
import dev.culvert.protocol.Peer;
import dev.culvert.daemon.tun.MemoryTunChannel;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two whole daemons over the twins, no root: site a (server at 192.0.2.1:51820) and site b (client),
 * each with a memory tun channel for a device and a memory transport on one memory network. Start, the
 * states `culvert show` reports, traffic both ways, a reload applied as a diff, and stop.
 */
class TwinSitesTest extends TwinSitesFixture {

    private String keyA;
    private String keyB;
    private String keyC;

    @BeforeEach
    void keys() throws Exception {
        keyA = TwinHosts.writeKey(dir.resolve("a.key"));
        keyB = TwinHosts.writeKey(dir.resolve("b.key"));
        keyC = TwinHosts.writeKey(dir.resolve("c.key"));
    }


    private String siteA(String extraTunnels, String keepalive) {
        return """
                culvert {
                  private-key-file = a.key
                  listen.udp = "192.0.2.1:51820"
                  metrics.bind = off
                  control.socket = a.sock
                  tunnels {
                    t1 {
                      device { name = cv-a1, address = "198.18.0.1/30" }
                      peer { public-key = "%s", allowed-ips = ["198.18.0.2/32"] }
                      keepalive.persistent = %s
                    }
                    %s
                  }
                }
                """.formatted(keyB, keepalive, extraTunnels);
    }

    private String siteB() {
        return """
                culvert {
                  private-key-file = b.key
                  metrics.bind = off
                  control.socket = b.sock
                  tunnels {
                    t1 {
                      device { name = cv-b1, address = "198.18.0.2/30" }
                      peer { public-key = "%s", endpoint = "192.0.2.1:51820", allowed-ips = ["198.18.0.1/32"] }
                      persist = true
                    }
                  }
                }
                """.formatted(keyA);
    }

    private String show(String socket, String tunnel) throws Exception {
        return ControlClient.request(dir.resolve(socket), "show " + tunnel);
    }

    private static Peer.State state(Daemon daemon, String tunnel) {
        return daemon.tunnels().stream().filter(t -> t.name().equals(tunnel)).findFirst().orElseThrow().state();
    }


    @Test
    void connectingBeforeThePeerExistsThenUpAndTrafficBothWays() throws Exception {
        Daemon b = start("b.conf", siteB(), hostB);
        // a does not exist yet: b has an endpoint and is handshaking into the void
        assertThat(state(b, "t1")).isEqualTo(Peer.State.CONNECTING);
        assertThat(show("b.sock", "t1")).contains("\"state\":\"connecting\"");

        Daemon a = start("a.conf", siteA("", "0"), hostA);
        assertThat(show("a.sock", "t1")).contains("\"state\":\"down\""); // waits for b to call in
        // b retries its handshake after REKEY_TIMEOUT (5 s + jitter); the first packet may also pull one in
        hostB.devices.get("cv-b1").inject(ipv4(2, 1, 84, 1));
        await().atMost(15, TimeUnit.SECONDS).until(() -> state(b, "t1") == Peer.State.UP
                && state(a, "t1") == Peer.State.UP);
        assertThat(show("b.sock", "t1")).contains("\"state\":\"up\"");
        assertThat(show("a.sock", "t1")).contains("\"state\":\"up\"");

        // the packet that pulled the handshake in was held and arrives once the session is up
        assertThat(take(hostA.devices.get("cv-a1"))).isEqualTo(ipv4(2, 1, 84, 1));
        for (int size : new int[] {40, 84, 1000, 1420}) {
            byte[] out = ipv4(2, 1, size, size);
            hostB.devices.get("cv-b1").inject(out);
            assertThat(take(hostA.devices.get("cv-a1"))).isEqualTo(out);
            byte[] back = ipv4(1, 2, size, ~size);
            hostA.devices.get("cv-a1").inject(back);
            assertThat(take(hostB.devices.get("cv-b1"))).isEqualTo(back);
        }
        // the links were configured through ip(8), never touched for real
        assertThat(hostA.commands).anySatisfy(argv -> assertThat(argv).contains("cv-a1"));
    }

    /**
     * Issue 13 item 5: a handshake initiation that reaches a's socket while a is still opening its tunnels
     * is answered once the tunnels are there, not dropped as from an unknown peer (which costs b the
     * REKEY_TIMEOUT retry, 5 s + jitter): b's first initiation is the one that completes.
     */
    @Test
    void aHandshakeArrivingWhileTunnelsOpenIsAnsweredWithoutARetry() throws Exception {
        Daemon[] b = new Daemon[1];
        hostA.beforeDevice = () -> {
            hostA.beforeDevice = null;
            try {
                // a's socket exists, its tunnel does not yet: b starts and sends its first initiation now
                b[0] = start("b.conf", siteB(), hostB);
                await().atMost(5, TimeUnit.SECONDS).until(() -> handshakesSent(b[0]) >= 1);
                // b's loop has flushed the initiation to a's loop, and a's loop has taken it in
                hostB.udp.eventLoop().submit(() -> { }).sync();
                hostA.udp.eventLoop().submit(() -> { }).sync();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        Daemon a = start("a.conf", siteA("", "0"), hostA);
        assertThat(b[0]).as("b started while a opened its tunnel").isNotNull();
        await().atMost(15, TimeUnit.SECONDS).until(() -> state(b[0], "t1") == Peer.State.UP
                && state(a, "t1") == Peer.State.UP);
        assertThat(handshakesSent(b[0])).as("initiations b sent before a answered").isEqualTo(1);
    }

    private static long handshakesSent(Daemon daemon) {
        return daemon.tunnels().stream().filter(t -> t.name().equals("t1")).findFirst().orElseThrow()
                .counters().get(Counters.Kind.HANDSHAKES_SENT);
    }

    /** Site b with t1 dialling {@code endpoint} (a name or a literal) and t2 dialling nobody yet, literally. */
    private String siteBWithName(String endpoint) {
        return """
                culvert {
                  private-key-file = b.key
                  metrics.bind = off
                  control.socket = b.sock
                  tunnels {
                    t1 {
                      device { name = cv-b1, address = "198.18.0.2/30" }
                      peer { public-key = "%s", endpoint = "%s", allowed-ips = ["198.18.0.1/32"] }
                      persist = true
                    }
                    t2 {
                      device { name = cv-b2, address = "198.18.0.6/30" }
                      peer { public-key = "%s", endpoint = "192.0.2.9:51820", allowed-ips = ["198.18.0.5/32"] }
                      persist = true
                    }
                  }
                }
                """.formatted(keyA, endpoint, keyC);
    }

    /** Issue 13: a name that does not resolve at start stops neither the daemon nor another tunnel. */
    @Test
    void aNameThatResolvesLateConnectsWithoutStoppingTheDaemon() throws Exception {
        Daemon a = start("a.conf", siteA("", "0"), hostA);
        Daemon b = start("b.conf", siteBWithName("server.culvert.test:51820"), hostB);
        assertThat(b.tunnelNames()).containsExactly("t1", "t2");
        assertThat(state(b, "t1")).isEqualTo(Peer.State.CONNECTING);
        assertThat(state(b, "t2")).isEqualTo(Peer.State.CONNECTING);
        assertThat(show("b.sock", "t1")).contains("\"state\":\"connecting\"");
        // DNS catches up: the next retry (5 s backoff at most, plus jitter) finds the server
        hostB.names.put("server.culvert.test", A.getAddress());
        await().atMost(20, TimeUnit.SECONDS).until(() -> state(b, "t1") == Peer.State.UP
                && state(a, "t1") == Peer.State.UP);
        byte[] out = ipv4(2, 1, 84, 7);
        hostB.devices.get("cv-b1").inject(out);
        assertThat(take(hostA.devices.get("cv-a1"))).isEqualTo(out);
    }

    /** Issue 13: the server moves and DNS follows; a client that keeps sending finds it on a retry. */
    @Test
    void aServerThatMovesIsFoundAgainWhileTrafficFlows() throws Exception {
        List<String> lines;
        try (LogLines log = LogLines.of("culvert.tunnel")) {
            lines = log.lines();
            serverMoves();
        }
        // the move is logged once, however many retries looked the name up afterwards
        assertThat(lines.stream().filter(l -> l.contains("resolves to 192.0.2.1:51820 (was 192.0.2.7:51820)")))
                .hasSize(1);
    }

    /**
     * Issue 13: a name that resolves, already at start, to an address the IPv4-bound UDP socket cannot send to is
     * a warning naming the fix, not a tunnel silently stuck in connecting.
     */
    @Test
    void aNameResolvingToTheOtherFamilyThanTheSocketIsAWarningAtStart() throws Exception {
        List<String> lines;
        try (LogLines log = LogLines.of("culvert.tunnel")) {
            lines = log.lines();
            hostB.names.put("server.culvert.test", InetAddress.getByName("2001:db8:1::2"));
            start("b.conf", siteBWithName("server.culvert.test:51820"), hostB);
        }
        assertThat(hostB.udp.localAddress().getAddress()).as("the twin's socket is bound to an IPv4 address")
                .isInstanceOf(java.net.Inet4Address.class);
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("tunnel t1: server.culvert.test resolves to "
                + "[2001:db8:1::2]:51820, but the UDP socket is bound to").contains("listen on \":"));
    }

    private void serverMoves() throws Exception {
        hostB.names.put("server.culvert.test", InetAddress.getByName("192.0.2.7")); // nobody there yet
        Daemon b = start("b.conf", siteBWithName("server.culvert.test:51820"), hostB);
        Daemon a = start("a.conf", siteA("", "0"), hostA);
        hostB.names.put("server.culvert.test", A.getAddress()); // the server "moved" to 192.0.2.1
        int before = hostB.lookUps.getOrDefault("server.culvert.test", 0);
        // traffic every 200 ms: each packet asks for a handshake, which must not keep the look-up away
        await().atMost(20, TimeUnit.SECONDS).pollInterval(200, TimeUnit.MILLISECONDS).until(() -> {
            hostB.devices.get("cv-b1").inject(ipv4(2, 1, 84, 3));
            return state(b, "t1") == Peer.State.UP && state(a, "t1") == Peer.State.UP;
        });
        assertThat(hostB.lookUps.get("server.culvert.test")).isGreaterThan(before);
        assertThat(b.tunnels().stream().filter(t -> t.name().equals("t1")).findFirst().orElseThrow().endpoint())
                .isEqualTo(A);
    }

    @Test
    void reloadKeepsUnchangedTunnelsAddsNewOnesAndRestartsChangedOnes() throws Exception {
        Daemon a = start("a.conf", siteA("", "0"), hostA);
        MemoryTunChannel t1 = hostA.devices.get("cv-a1");
        String t2 = """
                t2 {
                  device { name = cv-a2, address = "198.18.0.5/30" }
                  peer { public-key = "%s", allowed-ips = ["198.18.0.6/32"] }
                }""".formatted(keyC);
        a.reload(config("a.conf", siteA(t2, "0")));
        assertThat(a.tunnelNames()).containsExactly("t1", "t2");
        assertThat(hostA.devices.get("cv-a1")).isSameAs(t1); // unchanged: same device, untouched
        assertThat(t1.isOpen()).isTrue();
        assertThat(hostA.devices.get("cv-a2").isOpen()).isTrue();

        a.reload(config("a.conf", siteA(t2, "25s").replace("198.18.0.1/30", "198.18.0.1/29"))); // t1's device changed
        assertThat(t1.isOpen()).isFalse();
        assertThat(hostA.devices.get("cv-a1")).isNotSameAs(t1);
        assertThat(hostA.devices.get("cv-a1").isOpen()).isTrue();

        a.reload(config("a.conf", siteA("", "25s").replace("198.18.0.1/30", "198.18.0.1/29"))); // t2 removed
        assertThat(a.tunnelNames()).containsExactly("t1");
        assertThat(hostA.devices.get("cv-a2").isOpen()).isFalse();

        a.reload(() -> null); // an invalid file: nothing changes
        assertThat(a.tunnelNames()).containsExactly("t1");
    }

    @Test
    void aDeviceDeletedUnderTheTunnelShowsDownAndAReloadRecreatesIt() throws Exception {
        Daemon a = start("a.conf", siteA("", "0"), hostA);
        MemoryTunChannel lost = hostA.devices.get("cv-a1");
        lost.close().sync(); // as `ip link del cv-a1` does to a real one
        await().atMost(5, TimeUnit.SECONDS).until(() -> state(a, "t1") == Peer.State.DOWN);
        assertThat(show("a.sock", "t1")).contains("\"state\":\"down\"");
        a.reload(config("a.conf", siteA("", "0"))); // unchanged config, but the device is gone: restarted
        assertThat(hostA.devices.get("cv-a1")).isNotSameAs(lost);
        assertThat(hostA.devices.get("cv-a1").isOpen()).isTrue();
        assertThat(state(a, "t1")).isEqualTo(Peer.State.DOWN); // a server waiting for its client again
    }

    @Test
    void aTunnelThatCannotStartSaysWhyAndLeavesNoDeviceOpen() throws Exception {
        Path psk = dir.resolve("ab.psk");
        Files.createFile(psk, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(psk, Keys.encode(Keys.generatePresharedKey(new SecureRandom())) + "\n");
        CulvertConfig config = config("a.conf", siteA("", "0").replace("peer { public-key",
                "peer { preshared-key-file = ab.psk, public-key"));
        // Checked when the file was read; loosened before the daemon starts: the tunnel must refuse it.
        Files.setPosixFilePermissions(psk, PosixFilePermissions.fromString("rw-r--r--"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Daemon.start(config, hostA))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("ab.psk");
        assertThat(hostA.devices.get("cv-a1").isOpen()).isFalse();
    }

    @Test
    void stopClosesEveryDeviceAndTheTransports() throws Exception {
        Daemon a = start("a.conf", siteA("", "0"), hostA);
        Daemon b = start("b.conf", siteB(), hostB);
        hostB.devices.get("cv-b1").inject(ipv4(2, 1, 60, 7));
        await().atMost(15, TimeUnit.SECONDS).until(() -> state(b, "t1") == Peer.State.UP);
        a.close();
        b.close();
        a.close(); // idempotent
        assertThat(hostA.devices.get("cv-a1").isOpen()).isFalse();
        assertThat(hostB.devices.get("cv-b1").isOpen()).isFalse();
        assertThat(Files.exists(dir.resolve("a.sock"))).isFalse();
    }

    @Test
    void eachDeviceSaysOnceWhatOffloadsItCameUpWithAndAReloadCannotSwitchUdpOffload() throws Exception {
        List<String> lines;
        try (LogLines log = LogLines.of("culvert")) {
            lines = log.lines();
            Daemon a = start("a.conf", siteA("", "0"), hostA);
            // The twin's devices are plain (no virtio-net header), whatever device.offload says.
            assertThat(lines).containsOnlyOnce("device 'cv-a1' offloads: off");

            MemoryTunChannel t1 = hostA.devices.get("cv-a1");
            a.reload(config("a.conf", siteA("", "0").replace("metrics.bind = off", "metrics.bind = off\n  udp-offload = off")));
            assertThat(lines).anyMatch(l -> l.startsWith("reload refused: culvert.udp-offload auto -> off: needs a restart"));
            assertThat(hostA.devices.get("cv-a1")).isSameAs(t1);
            assertThat(t1.isOpen()).isTrue();
        }
    }
}
