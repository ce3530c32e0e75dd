package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.LinkSpec;
import dev.culvert.it.node.PeerSpec;
import dev.culvert.it.traffic.Iperf;
import dev.culvert.it.traffic.Ping;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Two Culvert sites joined over a veth underlay: the tunnel carries ping and TCP both ways. */
@RequiresNetns(tools = {"iperf3", "ss"})
class TwoSitesIT {

    private static final int IPERF_SECONDS = 3;

    @Test
    void twoListeningSitesPingBothWaysAndCarryIperf() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "site-a");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "site-b")) {
            a.start(Optional.of(TwoSites.LISTEN_A), LinkSpec.of("cv0", TwoSites.TUNNEL_A),
                    PeerSpec.of(b.publicKey(), TwoSites.TUNNEL_IP_B + "/32").withEndpoint(TwoSites.LISTEN_B));
            b.start(Optional.of(TwoSites.LISTEN_B), LinkSpec.of("cv0", TwoSites.TUNNEL_B),
                    PeerSpec.of(a.publicKey(), TwoSites.TUNNEL_IP_A + "/32").withEndpoint(TwoSites.LISTEN_A));

            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
            Iperf.Result result = Iperf.run(sites.b(), TwoSites.TUNNEL_IP_B, sites.a(), IPERF_SECONDS);
            assertThat(result.bytesReceived()).as("bytes iperf3 carried from site A to site B").isPositive();

            a.stop();
            b.stop();
        }
    }

    @Test
    void aClientOnAnEphemeralPortDialsAServerThatHasNoEndpointForIt() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode server = new CulvertNode(culvert, sites.a(), "server");
             CulvertNode client = new CulvertNode(culvert, sites.b(), "client")) {
            server.start(Optional.of(TwoSites.LISTEN_A), LinkSpec.of("cv0", TwoSites.TUNNEL_A),
                    PeerSpec.of(client.publicKey(), TwoSites.TUNNEL_IP_B + "/32"));
            client.start(Optional.empty(), LinkSpec.of("cv0", TwoSites.TUNNEL_B),
                    PeerSpec.of(server.publicKey(), TwoSites.TUNNEL_IP_A + "/32").withEndpoint(TwoSites.LISTEN_A));

            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A); // the client must speak first
            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B); // then the server knows where it is

            client.stop();
            server.stop();
        }
    }
}
