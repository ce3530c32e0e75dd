package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.ExecResult;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.LinkSpec;
import dev.culvert.it.node.PeerSpec;
import dev.culvert.it.traffic.Ping;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Two sites, a ping through the tunnel, then a scrape of each daemon's default metrics endpoint
 * (127.0.0.1:9586, inside its own namespace): the tunnel's byte counters have moved.
 */
@RequiresNetns
class MetricsIT {

    /** An HTTP/1.0 GET over bash's /dev/tcp: no HTTP client needs to be installed in CI. */
    private static final String SCRAPE = "exec 3<>/dev/tcp/127.0.0.1/9586 && "
            + "printf 'GET /metrics HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3 && timeout 5 cat <&3";

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
                            String scrape = scrape(site);
                            assertThat(value(scrape, "culvert_tunnel_received_bytes_total{tunnel=\"t1\"}")).isPositive();
                            assertThat(value(scrape, "culvert_tunnel_sent_bytes_total{tunnel=\"t1\"}")).isPositive();
                            assertThat(value(scrape, "culvert_tunnel_handshakes_completed_total{tunnel=\"t1\"}"))
                                    .isPositive();
                            assertThat(value(scrape, "culvert_tunnel_up{tunnel=\"t1\"}")).isEqualTo(1);
                            assertThat(scrape).contains("jvm_memory_used_bytes", "culvert_netty_pool_used_direct_bytes");
                        });
            }
            a.stop();
            b.stop();
        }
    }

    private static String scrape(Netns site) {
        ExecResult result = site.exec(Duration.ofSeconds(10), "bash", "-c", SCRAPE);
        assertThat(result.ok()).as("GET /metrics in %s: %s", site, result.describe()).isTrue();
        assertThat(result.stdout()).as("response in %s", site).startsWith("HTTP/1.1 200");
        return result.stdout();
    }

    private static double value(String scrape, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
        assertThat(m.find()).as("series %s in the scrape", series).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
