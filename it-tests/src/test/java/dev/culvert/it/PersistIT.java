package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.DaemonConfig;
import dev.culvert.it.node.Daemons;
import dev.culvert.it.node.TunnelBlock;
import dev.culvert.it.traffic.Ping;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * persist (issue 3, item 4): the server site's daemon is killed with SIGKILL and started again with the same
 * config; the client, left alone, keeps its device the whole time and the tunnel comes back by itself.
 */
@RequiresNetns
class PersistIT {

    private static final String DEVICE = "cv0";
    private static final int KEEPALIVE_SECONDS = 5;
    /** How long the client's device is watched while the server is away. */
    private static final Duration WATCH_WHILE_DOWN = Duration.ofSeconds(3);
    /**
     * From the restart to traffic: the server's JVM start, then the client noticing its session is dead (no answer
     * to keepalives or data for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT = 15 s) and handshaking again, or redialling.
     */
    private static final Duration RESUMED_WITHIN = Duration.ofSeconds(40);

    @ParameterizedTest(name = "transport = {0}")
    @ValueSource(strings = {TunnelBlock.UDP, TunnelBlock.TCP})
    void killedServerComesBackWithoutTouchingTheClient(String transport) {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "site-a");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "site-b")) {
            DaemonConfig serverConfig = DaemonConfig.of(a)
                    .tunnel(TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_A, b.publicKey(), TwoSites.TUNNEL_IP_B + "/32")
                            .withTransport(transport));
            if (transport.equals(TunnelBlock.TCP)) {
                serverConfig.listenTcp(TwoSites.LISTEN_A);
            } else {
                serverConfig.listenUdp(TwoSites.LISTEN_A);
            }
            BackgroundProcess server = Daemons.start(a, serverConfig, List.of(DEVICE));
            BackgroundProcess client = Daemons.start(b, DaemonConfig.of(b)
                    .tunnel(TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_B, a.publicKey(), TwoSites.TUNNEL_IP_A + "/32")
                            .withTransport(transport).withEndpoint(TwoSites.LISTEN_A).withKeepalive(KEEPALIVE_SECONDS)
                            .withPersist(true)), List.of(DEVICE));
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
            String addressB = sites.b().ip("-br", "addr", "show", "dev", DEVICE).stdout();

            server.signal("KILL");
            server.awaitExit(CulvertNode.STOP_TIMEOUT);
            await("site A's device gone with its daemon").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100)).until(() -> !sites.a().hasLink(DEVICE));
            await("site B's device kept while the server is away").during(WATCH_WHILE_DOWN)
                    .atMost(WATCH_WHILE_DOWN.plusSeconds(2)).pollInterval(Duration.ofMillis(100))
                    .until(() -> sites.b().hasLink(DEVICE) && client.isAlive());
            Ping.once(sites.b(), TwoSites.TUNNEL_IP_A); // traffic while the server is away: the client must cope

            Path config = a.dir().resolve("culvert.conf");
            BackgroundProcess restarted = a.launch(config, "culvert-site-a-restarted");
            Daemons.awaitDevices(sites.a(), restarted, List.of(DEVICE));
            long t0 = System.nanoTime();
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A, RESUMED_WITHIN);
            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);
            System.out.printf("%s: traffic resumed %d ms after the restarted server's device appeared%n",
                    transport, (System.nanoTime() - t0) / 1_000_000);

            assertThat(sites.b().ip("-br", "addr", "show", "dev", DEVICE).stdout())
                    .as("site B's device and address, untouched").isEqualTo(addressB);
            assertThat(client.isAlive()).as("the client daemon ran throughout").isTrue();
            assertThat(client.stderr()).as("client log").doesNotContain("gave up");
        }
    }
}
