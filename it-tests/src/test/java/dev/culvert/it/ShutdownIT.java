package dev.culvert.it;

import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.LinkSpec;
import dev.culvert.it.node.PeerSpec;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SIGTERM and SIGINT end the daemon cleanly: exit code 0 and its tun device removed.
 * ({@code TwoSitesIT} checks the same after traffic has flowed.)
 */
@RequiresNetns
class ShutdownIT {

    @ParameterizedTest(name = "SIG{0}")
    @ValueSource(strings = {"TERM", "INT"})
    void aSignalRemovesTheDeviceAndExitsZero(String signal) {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (Netns netns = Netns.create("stop");
             CulvertNode node = new CulvertNode(culvert, netns, "lonely")) {
            netns.standaloneLink("ul0", TwoSites.UNDERLAY_A + "/24");
            String somePeer = culvert.pubkey(culvert.genkey());
            node.start(Optional.of(TwoSites.LISTEN_A), LinkSpec.of("cv0", TwoSites.TUNNEL_A),
                    PeerSpec.of(somePeer, TwoSites.TUNNEL_IP_B + "/32"));

            node.stop(signal); // asserts exit code 0 and that cv0 is gone
        }
    }
}
