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
import dev.culvert.it.node.LinkSpec;
import dev.culvert.it.node.Metrics;
import dev.culvert.it.node.PeerSpec;
import dev.culvert.it.traffic.InitiationFlood;
import dev.culvert.it.traffic.Ping;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A handshake flood against a Culvert responder (issue 10), with real daemons: from a third namespace,
 * {@link InitiationFlood} sends initiations with a valid mac1 for the responder's key while a legitimate tunnel
 * through the responder carries pings. Behaviour, not a benchmark (bench/flood.sh measures): the tunnel keeps
 * carrying most pings; a restarted initiator, whose first initiation meets a responder under load, gets a cookie
 * reply, retries with mac2 and has its tunnel back while the flood still runs; and the responder counted the
 * refusals ({@code rate_limited}, {@code under_load}).
 */
@RequiresNetns
class FloodIT {

    private static final int FLOOD_PER_SECOND = 30_000;
    private static final int FLOOD_SECONDS = 25;

    @Test
    void aRespondersTunnelOutlivesAnInitiationFloodAndARestartedPeerHandshakesThroughIt() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             Netns flooder = Netns.create("c");
             CulvertNode responder = CulvertNode.withKeysFromTestJvm(culvert, sites.a(), "responder");
             CulvertNode initiator = CulvertNode.withKeysFromTestJvm(culvert, sites.b(), "initiator")) {
            flooder.veth(sites.a(), "198.51.100.2/24", "198.51.100.1/24");
            flooder.ip("route", "add", TwoSites.UNDERLAY_A + "/32", "via", "198.51.100.1");
            responder.start(Optional.of(TwoSites.LISTEN_A), LinkSpec.of("cv0", TwoSites.TUNNEL_A),
                    PeerSpec.of(initiator.publicKey(), TwoSites.TUNNEL_IP_B + "/32"));
            LinkSpec link = LinkSpec.of("cv0", TwoSites.TUNNEL_B);
            PeerSpec toResponder = PeerSpec.of(responder.publicKey(), TwoSites.TUNNEL_IP_A + "/32")
                    .withEndpoint(TwoSites.LISTEN_A);
            Path config = initiator.writeConfig(Optional.of(TwoSites.LISTEN_B), link, toResponder);
            initiator.start(Optional.of(TwoSites.LISTEN_B), link, toResponder);
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);

            try (BackgroundProcess flood = flooder.spawn("flood", Map.of(), List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), InitiationFlood.class.getName(), TwoSites.LISTEN_A,
                    responder.publicKey(), Integer.toString(FLOOD_PER_SECOND), Integer.toString(FLOOD_SECONDS)))) {
                await("the flooder starts").atMost(Duration.ofSeconds(30)).until(() -> flood.stdout().contains("flooding"));

                // 1. the established tunnel carries on: loosely bounded loss, it is a shared CI machine
                ExecResult pings = sites.b().exec(Duration.ofSeconds(60), "ping", "-n", "-q", "-c", "100", "-i", "0.02",
                        "-W", "1", TwoSites.TUNNEL_IP_A);
                assertThat(lossPercent(pings)).as("ping loss through the tunnel during the flood: %s", pings.stdout())
                        .isLessThanOrEqualTo(50);
                String during = Metrics.scrape(sites.a());
                assertThat(interfaceDrops(during, "rate_limited")).as("flood initiations refused by the per-source rate")
                        .isGreaterThan(1000);

                // 2. a peer that starts over meets the responder under load: cookie, mac2 retry, tunnel back
                initiator.stop();
                try (BackgroundProcess again = initiator.launch(config, "culvert-initiator-again")) {
                    Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A, Duration.ofSeconds(40));
                    assertThat(flood.isAlive()).as("the handshake went through while the flood still ran").isTrue();
                    String after = Metrics.scrape(sites.a());
                    assertThat(interfaceDrops(after, "under_load")).as("cookie replies sent instead of handshakes")
                            .isGreaterThanOrEqualTo(1);
                    assertThat(Metrics.value(after, "culvert_tunnel_handshakes_completed_total{tunnel=\"t1\"}"))
                            .as("the responder completed a second handshake").isGreaterThanOrEqualTo(2);
                    again.signal("TERM");
                    again.awaitExit(CulvertNode.STOP_TIMEOUT);
                }
                responder.process().signal("TERM");
                assertThat(responder.process().awaitExit(CulvertNode.STOP_TIMEOUT)).isZero();
            }
        }
    }

    private static double interfaceDrops(String scrape, String reason) {
        return Metrics.value(scrape, "culvert_interface_drops_packets_total{reason=\"" + reason + "\"}");
    }

    private static double lossPercent(ExecResult ping) {
        Matcher m = Pattern.compile("([0-9.]+)% packet loss").matcher(ping.stdout());
        assertThat(m.find()).as("ping summary in %s", ping.describe()).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
