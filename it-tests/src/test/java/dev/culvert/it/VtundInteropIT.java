package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.ExecResult;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.KeyFiles;
import dev.culvert.it.node.Metrics;
import dev.culvert.it.node.VtundNode;
import dev.culvert.it.traffic.Iperf;
import dev.culvert.it.traffic.Ping;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * transport = vtun-legacy against Debian's real vtund 3.0.4 (issue 12): a vtund client against a Culvert server and
 * a Culvert client against {@code vtund -s}, in the four combinations of the issue (ping both ways and a short
 * iperf3 each), a wrong password refused by both, and a vtund killed and restarted that the Culvert client
 * reconnects to. Site A runs Culvert (198.18.0.1), site B vtund (198.18.0.2).
 */
@RequiresNetns(tools = {"vtund", "iperf3", "ss"})
class VtundInteropIT {
    private static final int PORT = 5000;
    private static final String PASSWORD = "Ma&^TU";

    static Stream<Arguments> combinations() {
        return Stream.of(
                Arguments.of("tun", "tcp", "no", "no"),
                Arguments.of("tun", "tcp", "aes128cbc", "lzo:1"),
                Arguments.of("tun", "udp", "aes256ecb", "no"),
                Arguments.of("tap", "tcp", "blowfish128ecb", "zlib:9"));
    }

    @ParameterizedTest(name = "vtund client -> culvert server: {0} {1} {2} {3}")
    @MethodSource("combinations")
    void vtundClientToCulvertServer(String mode, String proto, String encrypt, String compress) {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "culvert");
             VtundNode b = new VtundNode(sites.b(), "client")) {
            BackgroundProcess daemon = startCulvert(a, serverConfig(a, mode, proto, encrypt, compress, PASSWORD));
            b.startClient(session(mode, proto, encrypt, compress, PASSWORD), TwoSites.UNDERLAY_A, PORT);

            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);
            assertTraffic(sites);
            assertThat(daemon.stderr()).contains("is INSECURE").contains("up (vtund peer at " + TwoSites.UNDERLAY_B);
            stop(a, daemon);
        }
    }

    @ParameterizedTest(name = "culvert client -> vtund server: {0} {1} {2} {3}")
    @MethodSource("combinations")
    void culvertClientToVtundServer(String mode, String proto, String encrypt, String compress) {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "culvert");
             VtundNode b = new VtundNode(sites.b(), "server")) {
            b.startServer(session(mode, proto, encrypt, compress, PASSWORD), PORT);
            BackgroundProcess daemon = startCulvert(a, clientConfig(a, mode, PASSWORD));

            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
            assertTraffic(sites);
            assertThat(daemon.stderr()).contains("up (vtund peer at " + TwoSites.UNDERLAY_B + ":" + PORT);
            // what runs is the server's FLAGS, not the client's own (empty) legacy settings
            assertThat(a.show()).contains("  vtund session: proto " + proto + ", encrypt " + encrypt + ", compress "
                    + compress + ", keepalive ");
            stop(a, daemon);
        }
    }

    /**
     * vtund's nat_hack (VTUN.md §2.4): the side that has it does not connect its UDP socket and sends nothing first; it
     * waits for the other side's first datagram. Culvert always sends first, and answers wherever the peer's first
     * datagram came from (on the peer's IP), so either side's nat_hack works with it.
     */
    @Test
    void udpWorksWithVtundsNatHackOnEitherSide() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "culvert");
             VtundNode b = new VtundNode(sites.b(), "client")) {
            // plain (no cipher, no compression): frames leave as header + the device's packet, one datagram each
            BackgroundProcess daemon = startCulvert(a, serverConfig(a, "tun", "udp", "no", "no", PASSWORD));
            b.startClient(session("tun", "udp", "no", "no", PASSWORD).with("nat_hack client;"),
                    TwoSites.UNDERLAY_A, PORT);
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);
            stop(a, daemon);
        }
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "culvert");
             VtundNode b = new VtundNode(sites.b(), "server")) {
            b.startServer(session("tun", "udp", "aes128ecb", "lzo:1", PASSWORD).with("nat_hack server;"), PORT);
            BackgroundProcess daemon = startCulvert(a, clientConfig(a, "tun", PASSWORD));
            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
            stop(a, daemon);
        }
    }

    @Test
    void aWrongPasswordIsRefusedByBothWithAClearLine() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "culvert");
             VtundNode b = new VtundNode(sites.b(), "client")) {
            // a vtund client with the wrong password against Culvert
            BackgroundProcess server = startCulvert(a, serverConfig(a, "tun", "tcp", "no", "no", PASSWORD));
            b.startClient(session("tun", "tcp", "no", "no", "wrong"), TwoSites.UNDERLAY_A, PORT);
            await("culvert refuses the vtund client").atMost(Duration.ofSeconds(20))
                    .until(() -> server.stderr().contains("gave a wrong password for session 'cobra'; refused (ERR)"));
            await("vtund sees the refusal").atMost(Duration.ofSeconds(20))
                    .until(() -> b.log().contains("Connection denied"));
            assertThat(Metrics.drops(Metrics.scrape(sites.a()), "cobra", "vtun_auth_failed")).isGreaterThanOrEqualTo(1.0);
            assertThat(Ping.once(sites.b(), TwoSites.TUNNEL_IP_A).exitCode()).isNotZero();
            b.close();
            stop(a, server);
        }
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "culvert");
             VtundNode b = new VtundNode(sites.b(), "server")) {
            // Culvert with the wrong password against vtund -s
            b.startServer(session("tun", "tcp", "no", "no", PASSWORD), PORT);
            BackgroundProcess client = startCulvert(a, clientConfig(a, "tun", "wrong"));
            await("culvert says the server refused it").atMost(Duration.ofSeconds(20))
                    .until(() -> client.stderr().contains("refused session 'cobra' (ERR): wrong password"));
            await("vtund denies it").atMost(Duration.ofSeconds(20)).until(() -> b.log().contains("Denied connection"));
            assertThat(Ping.once(sites.a(), TwoSites.TUNNEL_IP_B).exitCode()).isNotZero();
            stop(a, client);
        }
    }

    @Test
    void aVtundServerKilledAndRestartedIsReconnectedTo() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "culvert");
             VtundNode b = new VtundNode(sites.b(), "server")) {
            VtundNode.Session s = session("tun", "tcp", "aes128cbc", "lzo:1", PASSWORD);
            b.startServer(s, PORT);
            BackgroundProcess client = startCulvert(a, clientConfig(a, "tun", PASSWORD));
            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);

            b.kill();
            await("culvert notices the session ended").atMost(Duration.ofSeconds(20))
                    .until(() -> client.stderr().contains("ended; redialling in 5 s"));
            assertThat(sites.a().hasLink("cv0")).as("persist keeps the device").isTrue();
            b.startServer(s, PORT);

            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
            stop(a, client);
        }
    }

    /** vtund's {@code persist no}: the client exits when its session ends; Culvert's stops dialling, state failed. */
    @Test
    void aClientWithPersistOffStopsWhenTheVtundServerGoes() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "culvert");
             VtundNode b = new VtundNode(sites.b(), "server")) {
            b.startServer(session("tun", "tcp", "no", "no", PASSWORD), PORT);
            BackgroundProcess client = startCulvert(a, clientConfig(a, "tun", PASSWORD)
                    .replace("transport = vtun-legacy", "transport = vtun-legacy\n    persist = false"));
            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);

            b.kill();
            await("culvert stops dialling").atMost(Duration.ofSeconds(20))
                    .until(() -> client.stderr().contains("persist is off (vtund's persist no)"));
            assertThat(client.stderr()).doesNotContain("redialling");
            assertThat(a.show("cobra")).contains("state: failed");
            stop(a, client);
        }
    }

    @Test
    void aReloadThatChangesTheSessionRestartsItAndTheVtundClientComesBack() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "culvert");
             VtundNode b = new VtundNode(sites.b(), "client")) {
            BackgroundProcess server = startCulvert(a, serverConfig(a, "tun", "tcp", "no", "no", PASSWORD));
            b.startClient(session("tun", "tcp", "no", "no", PASSWORD), TwoSites.UNDERLAY_A, PORT);
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);

            a.writeConfig(serverConfig(a, "tun", "tcp", "aes256cbc", "lzo:9", PASSWORD));
            server.signal("HUP");
            await("the reload").atMost(Duration.ofSeconds(20))
                    .until(() -> server.stderr().contains("reload: tunnel cobra restarts: legacy.encrypt no -> "
                            + "aes256cbc, legacy.compress no -> lzo:9"));
            await("the reload's summary").atMost(Duration.ofSeconds(20))
                    .until(() -> server.stderr().contains("reloaded: 0 unchanged, 0 changed in place, 1 restarted"));
            // the server decides: vtund's client (persist) comes back and takes the new FLAGS
            await("the new session").atMost(Duration.ofSeconds(30))
                    .until(() -> server.stderr().contains("FLAGS <TuL9KE14>"));
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);
            stop(a, server);
        }
    }

    /** New-user finding 1: a legacy tunnel whose new settings fail runs on its previous ones, and `culvert reload` says so. */
    @Test
    void aReloadWhoseNewSettingsFailKeepsTheVtundSessionOnThePreviousOnes() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "culvert");
             VtundNode b = new VtundNode(sites.b(), "client")) {
            BackgroundProcess server = startCulvert(a, serverConfig(a, "tun", "tcp", "no", "no", PASSWORD));
            b.startClient(session("tun", "tcp", "no", "no", PASSWORD), TwoSites.UNDERLAY_A, PORT);
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);

            a.writeConfig(serverConfig(a, "tun", "tcp", "aes128cbc", "no", PASSWORD)
                    .replace("transport = vtun-legacy", "transport = vtun-legacy\n    up = [\"/bin/false\"]"));
            String socket = a.dir().resolve(dev.culvert.it.node.DaemonConfig.CONTROL_SOCKET).toString();
            ExecResult partly = culvert.run(null, "reload", "--socket", socket);

            assertThat(partly.exitCode()).as(partly.describe()).isEqualTo(4);
            assertThat(partly.stdout()).contains("culvert reload: partly applied\n")
                    .contains("  cobra: new settings failed (legacy.encrypt no -> aes128cbc, up hooks (0 -> 1 commands)): ")
                    .contains("; previous settings restored (device re-created)\n");
            // vtund's client (persist) redials and is served on the previous settings
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);
            assertThat(a.show("cobra")).contains("reload failed (previous settings restored; device re-created): ");
            stop(a, server);
        }
    }

    @Test
    void aMalformedFrameClosesTheSessionCountedAndTheServerGoesOn() throws Exception {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "culvert");
             VtundNode b = new VtundNode(sites.b(), "client")) {
            Path config = a.writeConfig(serverConfig(a, "tun", "tcp", "no", "no", PASSWORD));
            BackgroundProcess server = startCulvert(a, config);
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String fake = Path.of(VtundInteropIT.class.getResource("FakeVtundClient.java").toURI()).toString();
            // the BAD_FRAME flag on the wire, then a data frame over vtund's 2148-byte bound
            for (String frame : new String[] {"8000", "0fff"}) {
                ExecResult r = sites.b().exec(List.of(javaBin, fake, TwoSites.UNDERLAY_A, Integer.toString(PORT),
                        "cobra", PASSWORD, frame), null, Map.of(), Duration.ofSeconds(60));
                assertThat(r.stdout()).as("fake client: %s", r).contains("OK FLAGS: <TuK>")
                        .contains("closed by the server");
            }
            await("the log lines").atMost(Duration.ofSeconds(10)).until(() -> server.stderr().contains(
                    "malformed frame from the vtund peer (bad frame header 0x8000); closing the session")
                    && server.stderr().contains("(data frame of 4095 bytes, over vtund's 2148)"));
            ExecResult show = culvert.run(null, "show", "--json", "--config", config.toString());
            assertThat(show.stdout()).as("show --json").contains("\"vtun_bad_frame\":2").contains("\"insecure\":\"vtun-legacy\"");
            String scrape = Metrics.scrape(sites.a());
            assertThat(Metrics.value(scrape, "culvert_tunnel_insecure{tunnel=\"cobra\"}")).isEqualTo(1.0);
            assertThat(Metrics.drops(scrape, "cobra", "vtun_bad_frame")).isEqualTo(2.0);

            // the server goes on: a real vtund client gets its session
            b.startClient(session("tun", "tcp", "no", "no", PASSWORD), TwoSites.UNDERLAY_A, PORT);
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
            stop(a, server);
        }
    }

    /** SIGTERM: a clean exit (0), the device gone, no leak reported. */
    private static void stop(CulvertNode node, BackgroundProcess daemon) {
        daemon.signal("TERM");
        assertThat(daemon.awaitExit(CulvertNode.STOP_TIMEOUT)).as("exit code; stderr:%n%s", daemon.stderr()).isZero();
        assertThat(node.netns().hasLink("cv0")).as("cv0 after the stop").isFalse();
        node.assertNoLeakReported();
    }

    private static void assertTraffic(TwoSites sites) {
        Iperf.Transfer up = Iperf.measure(sites.a(), TwoSites.TUNNEL_IP_A, sites.b(), 2, false);
        Iperf.Transfer down = Iperf.measure(sites.a(), TwoSites.TUNNEL_IP_A, sites.b(), 2, true);
        assertThat(up.bytesReceived()).as("iperf3 vtund -> culvert").isGreaterThan(100_000);
        assertThat(down.bytesReceived()).as("iperf3 culvert -> vtund").isGreaterThan(100_000);
    }

    private static VtundNode.Session session(String mode, String proto, String encrypt, String compress,
                                             String password) {
        return new VtundNode.Session("cobra", password, mode.equals("tap") ? "ether" : "tun", proto, encrypt,
                compress, "vt0", TwoSites.TUNNEL_B, 1400);
    }

    private static BackgroundProcess startCulvert(CulvertNode node, String config) {
        return startCulvert(node, node.writeConfig(config));
    }

    private static BackgroundProcess startCulvert(CulvertNode node, Path config) {
        BackgroundProcess daemon = node.launch(config);
        Netns ns = node.netns();
        await("culvert's device cv0").atMost(CulvertNode.START_TIMEOUT).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    if (!daemon.isAlive()) {
                        throw new AssertionError("culvert exited; stderr:\n" + daemon.stderr());
                    }
                    return ns.hasLink("cv0");
                });
        return daemon;
    }

    private static Path passwordFile(CulvertNode node, String password) {
        return KeyFiles.writeSecret(node.dir().resolve("cobra-" + password.hashCode() + ".pw"), password);
    }

    private static String serverConfig(CulvertNode node, String mode, String proto, String encrypt, String compress,
                                       String password) {
        return """
                culvert {
                  private-key-file = "%s"
                  listen.vtun-legacy = "%s:%d"
                  # metrics on 127.0.0.1:9586, the default, in the test's own namespace
                  tunnels.cobra {
                    transport = vtun-legacy
                    device { name = cv0, mode = %s, address = "%s", mtu = 1400 }
                    legacy { password-file = "%s", proto = %s, encrypt = %s, compress = "%s", keepalive = "10:3" }
                  }
                }
                """.formatted(node.privateKeyFile(), TwoSites.UNDERLAY_A, PORT, mode, TwoSites.TUNNEL_A,
                passwordFile(node, password), proto, encrypt, compress);
    }

    private static String clientConfig(CulvertNode node, String mode, String password) {
        return """
                culvert {
                  private-key-file = "%s"
                  metrics.bind = off
                  tunnels.cobra {
                    transport = vtun-legacy
                    device { name = cv0, mode = %s, address = "%s", mtu = 1400 }
                    peer.endpoint = "%s:%d"
                    legacy { password-file = "%s" }
                  }
                }
                """.formatted(node.privateKeyFile(), mode, TwoSites.TUNNEL_A, TwoSites.UNDERLAY_B, PORT,
                passwordFile(node, password));
    }
}
