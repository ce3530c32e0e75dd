package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.node.DaemonConfig;
import dev.culvert.it.node.Daemons;
import dev.culvert.it.node.TunnelBlock;
import dev.culvert.it.traffic.Ping;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 12: normal events are not warnings. Two sites start as an operator starts them, then the server
 * restarts (a peer reboot): the client keeps sending on its old session, which the restarted server no longer
 * has, so every such packet is an {@code unknown_index} drop until the client's next handshake (the server has
 * no endpoint for the client and cannot initiate, which makes the drops certain). Neither daemon may log a
 * warning through all of it; the drops are there, at INFO.
 */
@RequiresNetns
class QuietLogsIT {

    private static final String WARN = " WARN  ";
    private static final String DEVICE = "cv0";

    @Test
    void anOrdinaryStartAndAPeerRestartLogNoWarning() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode server = new CulvertNode(culvert, sites.a(), "server");
             CulvertNode client = new CulvertNode(culvert, sites.b(), "client")) {
            DaemonConfig serverConfig = DaemonConfig.of(server).listenUdp(TwoSites.LISTEN_A)
                    .tunnel(TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_A, client.publicKey(),
                            TwoSites.TUNNEL_IP_B + "/32"));
            BackgroundProcess firstServer = Daemons.start(server, serverConfig, List.of(DEVICE));
            BackgroundProcess runClient = Daemons.start(client, DaemonConfig.of(client).listenUdp(TwoSites.LISTEN_B)
                    .tunnel(TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_B, server.publicKey(),
                            TwoSites.TUNNEL_IP_A + "/32").withEndpoint(TwoSites.LISTEN_A)), List.of(DEVICE));
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);

            firstServer.signal("TERM");
            assertThat(firstServer.awaitExit(CulvertNode.STOP_TIMEOUT)).isZero();
            String firstServerRun = firstServer.stderr(); // the next run's log takes its file
            BackgroundProcess secondServer = Daemons.start(server, serverConfig, List.of(DEVICE));
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A, Duration.ofSeconds(40)); // after the client's rehandshake
            Daemons.awaitLog(secondServer, "unknown_index", Duration.ofSeconds(5));

            String secondServerRun = secondServer.stderr();
            assertThat(secondServerRun.lines().filter(l -> l.contains("unknown_index")))
                    .as("the drop is logged at INFO").isNotEmpty().allMatch(l -> l.contains(" INFO  "));
            for (String log : List.of(firstServerRun, secondServerRun, runClient.stderr())) {
                assertThat(log.lines().filter(l -> l.contains(WARN)).toList()).as("warnings in:%n%s", log).isEmpty();
            }
            Daemons.requireAlive(runClient);
        }
    }
}
