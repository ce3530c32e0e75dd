package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.DaemonConfig;
import dev.culvert.it.node.Daemons;
import dev.culvert.it.node.TunnelBlock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 8, "reload changes what changed", with two real daemons: a SIGHUP that changes a live tunnel's
 * persistent keepalive and allowed IPs applies them in place. A ping running across the reload loses no packet,
 * the device keeps its ifindex ({@code ip -o link show}) and the log says what was applied.
 */
@RequiresNetns(tools = {"ping"})
class LiveReloadIT {
    private static final String DEVICE = "cv0";
    private static final int PINGS = 200;
    /** A prefix the reload adds to site a's allowed IPs (site b's side of a routed network). */
    private static final String EXTRA = "198.18.50.0/24";

    @Test
    void aKeepaliveAndAllowedIpsReloadLosesNoPingAndKeepsTheDevice() throws Exception {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "site-a");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "site-b")) {
            Daemons.start(b, DaemonConfig.of(b).listenUdp(TwoSites.LISTEN_B)
                    .tunnel(TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_B, a.publicKey(), TwoSites.TUNNEL_IP_A + "/32")),
                    List.of(DEVICE));
            BackgroundProcess daemon = Daemons.start(a, siteA(a, b, false), List.of(DEVICE));
            await().atMost(Duration.ofSeconds(30)).until(() -> sites.a()
                    .exec("ping", "-c", "1", "-W", "1", TwoSites.TUNNEL_IP_B).exitCode() == 0);
            int ifindex = ifindex(sites.a());

            BackgroundProcess ping = sites.a().spawn("ping", "ping", "-i", "0.05", "-c", String.valueOf(PINGS),
                    TwoSites.TUNNEL_IP_B);
            await().atMost(Duration.ofSeconds(5)).until(() -> ping.stdout().contains("icmp_seq=20 "));
            a.writeConfig(siteA(a, b, true).render());
            daemon.signal("HUP");
            Daemons.awaitLog(daemon, "reloaded: 0 unchanged, 1 changed in place, 0 restarted, 0 added, 0 removed",
                    Duration.ofSeconds(20));
            assertThat(ping.stdout()).as("the reload happened while the ping ran").doesNotContain(PINGS + " packets");
            assertThat(daemon.stderr()).contains("tunnel t1: reloaded in place: keepalive 0s -> 10s, allowed-ips ["
                    + TwoSites.TUNNEL_IP_B + "/32] -> [" + TwoSites.TUNNEL_IP_B + "/32, " + EXTRA + "]");
            assertThat(daemon.stderr()).doesNotContain(" restarts: ");
            assertThat(ping.awaitExit(Duration.ofSeconds(30))).as("ping exit code; output:\n" + ping.stdout()).isZero();
            assertThat(ping.stdout()).contains(PINGS + " packets transmitted, " + PINGS + " received, 0% packet loss");
            assertThat(ifindex(sites.a())).as("the device's ifindex after the reload").isEqualTo(ifindex);
            Daemons.requireAlive(daemon);
        }
    }

    /**
     * A TCP client reloaded with another address of its server: the live tunnel redials there (the old connection
     * is dropped), keeps its device, and traffic flows again over the new connection.
     */
    @Test
    void aTcpEndpointReloadRedialsTheNewAddressAndKeepsTheDevice() throws Exception {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "site-a");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "site-b")) {
            sites.a().addUnderlayAddress(sites.underlayDevice(), SECOND_A + "/24");
            Daemons.start(a, DaemonConfig.of(a).listenTcpAll(TwoSites.PORT)
                    .tunnel(TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_A, b.publicKey(), TwoSites.TUNNEL_IP_B + "/32")
                            .withTransport(TunnelBlock.TCP)), List.of(DEVICE));
            BackgroundProcess client = Daemons.start(b, tcpClient(a, b, TwoSites.LISTEN_A), List.of(DEVICE));
            await().atMost(Duration.ofSeconds(30)).until(() -> sites.b()
                    .exec("ping", "-c", "1", "-W", "1", TwoSites.TUNNEL_IP_A).exitCode() == 0);
            int ifindex = ifindex(sites.b());

            String moved = SECOND_A + ":" + TwoSites.PORT;
            b.writeConfig(tcpClient(a, b, moved).render());
            client.signal("HUP");
            Daemons.awaitLog(client, "tunnel t1: reloaded in place: endpoint " + TwoSites.LISTEN_A + " -> " + moved,
                    Duration.ofSeconds(20));
            // the dst may be printed as [::ffff:192.0.2.11]:51820: any established connection to it will do
            await().atMost(Duration.ofSeconds(20)).until(() -> !sites.b()
                    .exec("ss", "-Htn", "state", "established", "dst", moved).stdout().isBlank());
            await().atMost(Duration.ofSeconds(20)).until(() -> sites.b()
                    .exec("ping", "-c", "1", "-W", "1", TwoSites.TUNNEL_IP_A).exitCode() == 0);
            assertThat(sites.b().exec("ss", "-Htn", "state", "established", "dst", TwoSites.LISTEN_A).stdout())
                    .as("the connection to the old address is gone").isBlank();
            assertThat(ifindex(sites.b())).as("the device's ifindex after the reload").isEqualTo(ifindex);
            Daemons.requireAlive(client);
        }
    }

    /** Site a's second underlay address, where the TCP client moves to. */
    private static final String SECOND_A = "192.0.2.11";

    private static DaemonConfig tcpClient(CulvertNode a, CulvertNode b, String endpoint) {
        return DaemonConfig.of(b).tunnel(TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_B, a.publicKey(),
                TwoSites.TUNNEL_IP_A + "/32").withTransport(TunnelBlock.TCP).withEndpoint(endpoint));
    }

    private static DaemonConfig siteA(CulvertNode a, CulvertNode b, boolean reloaded) {
        TunnelBlock t1 = reloaded
                ? TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_A, b.publicKey(), TwoSites.TUNNEL_IP_B + "/32", EXTRA)
                        .withKeepalive(10)
                : TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_A, b.publicKey(), TwoSites.TUNNEL_IP_B + "/32");
        return DaemonConfig.of(a).tunnel(t1.withEndpoint(TwoSites.LISTEN_B));
    }

    /** The device's ifindex, from {@code ip -o link show DEVICE} ("7: cv0: <...> ..."). */
    private static int ifindex(Netns netns) {
        String line = netns.ip("-o", "link", "show", DEVICE).requireSuccess().stdout().strip();
        return Integer.parseInt(line.substring(0, line.indexOf(':')));
    }
}
