package dev.culvert.it;

import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.LinkSpec;
import dev.culvert.it.node.PeerSpec;
import dev.culvert.it.node.WireGuardGoNode;
import dev.culvert.it.traffic.JunkScenario;
import dev.culvert.it.traffic.PacketCapture;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Junk, truncated, replayed and forged datagrams sent to Culvert's UDP port from the peer's
 * namespace get no reply, and the tunnel still carries pings afterwards. See {@link JunkScenario};
 * {@code WireGuardGoHarnessIT} runs the same scenario against wireguard-go.
 */
@RequiresNetns(tools = {"tcpdump", "wireguard-go", "wg"})
class JunkIT {

    @Test
    void culvertIgnoresJunkFromTheSideOfACulvertPeer() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "peer");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "target");
             PacketCapture capture = JunkScenario.startCapture(sites.a(), sites.underlayDevice(), TwoSites.LISTEN_B)) {
            b.start(Optional.of(TwoSites.LISTEN_B), LinkSpec.of("cv0", TwoSites.TUNNEL_B),
                    PeerSpec.of(a.publicKey(), TwoSites.TUNNEL_IP_A + "/32"));
            a.start(Optional.of(TwoSites.LISTEN_A), LinkSpec.of("cv0", TwoSites.TUNNEL_A),
                    PeerSpec.of(b.publicKey(), TwoSites.TUNNEL_IP_B + "/32").withEndpoint(TwoSites.LISTEN_B));

            JunkScenario.assertJunkIgnored(capture, a, b, TwoSites.LISTEN_B);

            b.stop();
        }
    }

    @Test
    void culvertIgnoresJunkFromTheSideOfAWireGuardGoPeer() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             WireGuardGoNode a = new WireGuardGoNode(sites.a(), "peer");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "target");
             PacketCapture capture = JunkScenario.startCapture(sites.a(), sites.underlayDevice(), TwoSites.LISTEN_B)) {
            b.start(Optional.of(TwoSites.LISTEN_B), LinkSpec.of("cv0", TwoSites.TUNNEL_B),
                    PeerSpec.of(a.publicKey(), TwoSites.TUNNEL_IP_A + "/32"));
            a.start(Optional.of(TwoSites.LISTEN_A), LinkSpec.of("wg0", TwoSites.TUNNEL_A),
                    PeerSpec.of(b.publicKey(), TwoSites.TUNNEL_IP_B + "/32").withEndpoint(TwoSites.LISTEN_B));

            JunkScenario.assertJunkIgnored(capture, a, b, TwoSites.LISTEN_B);

            b.stop();
        }
    }
}
