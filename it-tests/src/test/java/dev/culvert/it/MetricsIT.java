package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.LinkSpec;
import dev.culvert.it.node.Metrics;
import dev.culvert.it.node.PeerSpec;
import dev.culvert.it.traffic.Ping;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Two sites, a ping through the tunnel, then a scrape of each daemon's default metrics endpoint
 * (127.0.0.1:9586, inside its own namespace): the tunnel's byte counters have moved.
 */
@RequiresNetns
class MetricsIT {

    @Test
    void scrapeShowsTrafficAfterAPing() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "site-a");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "site-b")) {
            a.start(Optional.of(TwoSites.LISTEN_A), LinkSpec.of("cv0", TwoSites.TUNNEL_A),
                    PeerSpec.of(b.publicKey(), TwoSites.TUNNEL_IP_B + "/32").withEndpoint(TwoSites.LISTEN_B));
            b.start(Optional.of(TwoSites.LISTEN_B), LinkSpec.of("cv0", TwoSites.TUNNEL_B),
                    PeerSpec.of(a.publicKey(), TwoSites.TUNNEL_IP_A + "/32").withEndpoint(TwoSites.LISTEN_A));

            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);

            for (Netns site : new Netns[] {sites.a(), sites.b()}) {
                await("metrics of " + site).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300))
                        .untilAsserted(() -> {
                            String scrape = Metrics.scrape(site);
                            assertThat(Metrics.value(scrape, "culvert_tunnel_received_bytes_total{tunnel=\"t1\"}")).isPositive();
                            assertThat(Metrics.value(scrape, "culvert_tunnel_sent_bytes_total{tunnel=\"t1\"}")).isPositive();
                            assertThat(Metrics.value(scrape, "culvert_tunnel_handshakes_completed_total{tunnel=\"t1\"}"))
                                    .isPositive();
                            assertThat(Metrics.value(scrape, "culvert_tunnel_up{tunnel=\"t1\"}")).isEqualTo(1);
                            assertThat(scrape).contains("jvm_memory_used_bytes", "culvert_netty_pool_used_direct_bytes");
                        });
            }
            a.stop();
            b.stop();
        }
    }
}
