package dev.culvert.it;

import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.harness.Workspace;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.KeyFiles;
import dev.culvert.it.node.LinkSpec;
import dev.culvert.it.node.PeerSpec;
import dev.culvert.it.node.WireGuardGoNode;
import dev.culvert.it.traffic.Ping;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Culvert (site A) against Debian's wireguard-go (site B): the WireGuard wire protocol, byte for
 * byte, with Culvert as initiator and as responder, with and without a preshared key.
 */
@RequiresNetns(tools = {"wireguard-go", "wg"})
class WireGuardGoInteropIT {

    @ParameterizedTest(name = "preshared key: {0}")
    @ValueSource(booleans = {false, true})
    void culvertInitiatesToWireGuardGo(boolean withPresharedKey) {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "culvert");
             WireGuardGoNode b = new WireGuardGoNode(sites.b(), "wggo")) {
            Optional<Path> psk = withPresharedKey ? Optional.of(newPresharedKeyFile(culvert)) : Optional.empty();
            // wireguard-go waits; Culvert, the client, dials it from an ephemeral port.
            b.start(Optional.of(TwoSites.LISTEN_B), LinkSpec.of("wg0", TwoSites.TUNNEL_B),
                    withPsk(PeerSpec.of(a.publicKey(), TwoSites.TUNNEL_IP_A + "/32"), psk));
            a.start(Optional.empty(), LinkSpec.of("cv0", TwoSites.TUNNEL_A),
                    withPsk(PeerSpec.of(b.publicKey(), TwoSites.TUNNEL_IP_B + "/32").withEndpoint(TwoSites.LISTEN_B), psk));

            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);

            a.stop();
        }
    }

    @ParameterizedTest(name = "preshared key: {0}")
    @ValueSource(booleans = {false, true})
    void wireGuardGoInitiatesToCulvert(boolean withPresharedKey) {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "culvert");
             WireGuardGoNode b = new WireGuardGoNode(sites.b(), "wggo")) {
            Optional<Path> psk = withPresharedKey ? Optional.of(newPresharedKeyFile(culvert)) : Optional.empty();
            // Culvert listens and has no endpoint for its peer: it can only answer.
            a.start(Optional.of(TwoSites.LISTEN_A), LinkSpec.of("cv0", TwoSites.TUNNEL_A),
                    withPsk(PeerSpec.of(b.publicKey(), TwoSites.TUNNEL_IP_B + "/32"), psk));
            b.start(Optional.empty(), LinkSpec.of("wg0", TwoSites.TUNNEL_B),
                    withPsk(PeerSpec.of(a.publicKey(), TwoSites.TUNNEL_IP_A + "/32").withEndpoint(TwoSites.LISTEN_A), psk));

            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);

            a.stop();
        }
    }

    private static PeerSpec withPsk(PeerSpec peer, Optional<Path> psk) {
        return psk.map(peer::withPresharedKey).orElse(peer);
    }

    /** A preshared key from {@code culvert genpsk}; {@code wg set ... preshared-key} then proves wg reads it too. */
    private static Path newPresharedKeyFile(CulvertDistribution culvert) {
        return KeyFiles.writeSecret(Workspace.newDir("psk").resolve("psk"), culvert.genpsk());
    }
}
