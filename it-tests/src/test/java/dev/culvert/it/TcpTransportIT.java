package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.DaemonConfig;
import dev.culvert.it.node.Daemons;
import dev.culvert.it.node.TunnelBlock;
import dev.culvert.it.traffic.Iperf;
import dev.culvert.it.traffic.Ping;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The TCP transport (issue 3, item 1): site A accepts on {@code culvert.listen.tcp}, site B dials it with
 * {@code transport = tcp}; and VTUN's {@code multi killold}: a second connection with the same key wins.
 */
@RequiresNetns(tools = {"iperf3", "ss"})
class TcpTransportIT {

    private static final String DEVICE = "cv0";
    private static final int IPERF_SECONDS = 2;
    /** A third namespace for the replacing client, on its own underlay to site A. */
    private static final String UNDERLAY_A_TO_C = "198.51.100.1";
    private static final String UNDERLAY_C = "198.51.100.2";
    private static final Duration REPLACED_WITHIN = Duration.ofSeconds(30);

    @Test
    void tcpTunnelCarriesPingBothWaysAndIperf() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "site-a");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "site-b")) {
            BackgroundProcess server = Daemons.start(a, serverConfig(a, b.publicKey()), List.of(DEVICE));
            BackgroundProcess client = Daemons.start(b, clientConfig(b, b.privateKeyFile(), a.publicKey()), List.of(DEVICE));

            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);
            assertThat(sites.b().exec("ss", "-Htn", "state", "established", "dst", TwoSites.LISTEN_A).stdout())
                    .as("site B's TCP connection to site A's listener")
                    .containsPattern(Pattern.quote(TwoSites.UNDERLAY_A) + "]?:" + TwoSites.PORT);

            Iperf.Result result = Iperf.run(sites.a(), TwoSites.TUNNEL_IP_A, sites.b(), IPERF_SECONDS);
            assertThat(result.bytesReceived()).as("bytes iperf3 carried through the TCP tunnel").isPositive();
            assertThat(client.stderr()).contains("connected to " + TwoSites.LISTEN_A);
            Daemons.requireAlive(server);
        }
    }

    @Test
    void secondConnectionWithTheSameKeyReplacesTheFirst() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             Netns c = Netns.create("c");
             CulvertNode a = new CulvertNode(culvert, sites.a(), "site-a");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "site-b");
             CulvertNode b2 = new CulvertNode(culvert, c, "site-b-again")) {
            sites.a().veth(c, UNDERLAY_A_TO_C + "/24", UNDERLAY_C + "/24");
            // The listener's address is reached from C through A's end of their veth (A accepts it: it is local).
            c.ip("route", "add", TwoSites.UNDERLAY_A + "/32", "via", UNDERLAY_A_TO_C);
            BackgroundProcess server = Daemons.start(a, serverConfig(a, b.publicKey()), List.of(DEVICE));
            BackgroundProcess first = Daemons.start(b, clientConfig(b, b.privateKeyFile(), a.publicKey()), List.of(DEVICE));
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);

            // The first client hangs (as a host that lost power would): its connection stays open but silent,
            // and it cannot redial and take the tunnel back.
            first.signal("STOP");
            try {
                Daemons.start(b2, clientConfig(b2, b.privateKeyFile(), a.publicKey()), List.of(DEVICE));
                Ping.awaitReply(c, TwoSites.TUNNEL_IP_A);
                Daemons.awaitLog(server, "closing its older connection", REPLACED_WITHIN);
                assertThat(server.stderr()).containsPattern("peer reconnected from \\S*" + Pattern.quote(UNDERLAY_C)
                        + "\\S*; closing its older connection from \\S*" + Pattern.quote(TwoSites.UNDERLAY_B));
                // The server answers through the new connection: its ping reaches the namespace of the new client.
                Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);
                assertThat(sites.a().exec("ss", "-Htn", "state", "established", "src", TwoSites.LISTEN_A).stdout())
                        .as("site A's connections from the client key").contains(UNDERLAY_C)
                        .doesNotContain(TwoSites.UNDERLAY_B);
            } finally {
                first.signal("KILL");
            }
        }
    }

    private static DaemonConfig serverConfig(CulvertNode server, String clientKey) {
        return DaemonConfig.of(server).listenTcp(TwoSites.LISTEN_A)
                .tunnel(TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_A, clientKey, TwoSites.TUNNEL_IP_B + "/32")
                        .withTransport(TunnelBlock.TCP));
    }

    private static DaemonConfig clientConfig(CulvertNode client, java.nio.file.Path key, String serverKey) {
        return DaemonConfig.of(client, key)
                .tunnel(TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_B, serverKey, TwoSites.TUNNEL_IP_A + "/32")
                        .withTransport(TunnelBlock.TCP).withEndpoint(TwoSites.LISTEN_A));
    }
}
