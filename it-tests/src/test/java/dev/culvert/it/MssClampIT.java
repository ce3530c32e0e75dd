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
import dev.culvert.it.node.Metrics;
import dev.culvert.it.node.TunnelBlock;
import dev.culvert.it.traffic.Iperf;
import dev.culvert.it.traffic.Ping;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code mss-clamp} on real devices (issue 13): site a clamps to 1200, site b leaves it off. A TCP connection from b
 * to a across the tunnel completes (so the rewritten SYN's checksum is one the kernel accepts, with the device's
 * offloads on), b's kernel sends segments no larger than the clamp (its socket's {@code mss}), and a counts the
 * rewrites in {@code culvert_tunnel_mss_clamped_total}.
 */
@RequiresNetns(tools = {"iperf3", "ss"})
class MssClampIT {
    private static final String DEVICE = "cv0";
    private static final int CLAMP = 1200;
    /** What b's socket reports as {@code mss:N} in {@code ss -i} (the clamp less any TCP options it sends, e.g. 12 of timestamps). */
    private static final Pattern SOCKET_MSS = Pattern.compile("\\bmss:(\\d+)");

    @Test
    void aClampedTunnelCarriesTcpWithTheSmallerMss() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "site-a");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "site-b")) {
            String configA = DaemonConfig.of(a).listenUdp(TwoSites.LISTEN_A)
                    .tunnel(TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_A, b.publicKey(), TwoSites.TUNNEL_IP_B + "/32"))
                    .render() + "culvert.tunnels.t1.mss-clamp = " + CLAMP + "\n"; // HOCON merges the path into t1
            BackgroundProcess runA = a.launch(a.writeConfig(configA));
            Daemons.awaitRunning(a, runA, List.of(DEVICE));
            BackgroundProcess runB = Daemons.start(b, DaemonConfig.of(b)
                    .tunnel(TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_B, a.publicKey(), TwoSites.TUNNEL_IP_A + "/32")
                            .withEndpoint(TwoSites.LISTEN_A)), List.of(DEVICE));
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);

            // A long transfer b -> a in the background; while it runs, b's socket says what MSS it sends with.
            try (BackgroundProcess server = sites.a().spawn("iperf3-server", "iperf3", "--server", "--one-off",
                    "--bind", TwoSites.TUNNEL_IP_A, "--port", Integer.toString(Iperf.PORT))) {
                await("iperf3 server").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                        .until(() -> !sites.a().exec("ss", "-Hltn", "sport = :" + Iperf.PORT).stdout().isBlank());
                try (BackgroundProcess client = sites.b().spawn("iperf3-client", "iperf3", "--client",
                        TwoSites.TUNNEL_IP_A, "--port", Integer.toString(Iperf.PORT), "--time", "4")) {
                    int[] mss = new int[1];
                    await("b's data connection to a, with its mss").atMost(Duration.ofSeconds(10))
                            .pollInterval(Duration.ofMillis(100)).until(() -> {
                                String ss = sites.b().exec("ss", "-Htin", "state", "established", "dst",
                                        TwoSites.TUNNEL_IP_A).stdout();
                                Matcher m = SOCKET_MSS.matcher(ss);
                                while (m.find()) {
                                    mss[0] = Math.max(mss[0], Integer.parseInt(m.group(1)));
                                }
                                return mss[0] > 0;
                            });
                    System.out.printf("MssClampIT: b's TCP sends with mss %d (clamp %d)%n", mss[0], CLAMP);
                    assertThat(mss[0]).as("the MSS b's TCP sends with (unclamped: 1380 less options)")
                            .isBetween(CLAMP - 40, CLAMP);
                    assertThat(client.awaitExit(Duration.ofSeconds(30))).as("iperf3 client exit; stderr:%n%s",
                            client.stderr()).isZero();
                    assertThat(client.stdout()).contains("receiver");
                }
            }

            String scrapeA = Metrics.scrape(sites.a());
            assertThat(Metrics.value(scrapeA, "culvert_tunnel_mss_clamped_total{tunnel=\"t1\"}"))
                    .as("SYNs a clamped (b's SYN in, a's SYN-ACK out, per connection)").isGreaterThanOrEqualTo(2);
            assertThat(Metrics.value(Metrics.scrape(sites.b()), "culvert_tunnel_mss_clamped_total{tunnel=\"t1\"}"))
                    .as("b has mss-clamp off").isZero();
            Daemons.requireAlive(runA);
            Daemons.requireAlive(runB);
        }
    }
}
