package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.Exec;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.harness.Workspace;
import dev.culvert.it.node.KeyFiles;
import dev.culvert.it.node.LinkSpec;
import dev.culvert.it.node.PeerSpec;
import dev.culvert.it.node.WireGuardGoNode;
import dev.culvert.it.traffic.Iperf;
import dev.culvert.it.traffic.JunkScenario;
import dev.culvert.it.traffic.PacketCapture;
import dev.culvert.it.traffic.Ping;
import dev.culvert.it.traffic.Probe;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * wireguard-go against wireguard-go, with no Culvert at all: proves that the harness
 * (namespaces, veth, processes, ping, iperf3, capture, junk probe) is right, so a failure of a
 * Culvert test is Culvert's.
 */
@RequiresNetns(tools = {"wireguard-go", "wg", "iperf3", "tcpdump", "ss"})
class WireGuardGoHarnessIT {

    @Test
    void twoWireGuardGoPeersPingBothWaysAndCarryIperf() {
        try (TwoSites sites = TwoSites.create();
             WireGuardGoNode a = new WireGuardGoNode(sites.a(), "a");
             WireGuardGoNode b = new WireGuardGoNode(sites.b(), "b")) {
            startPair(sites, a, b, Optional.empty());

            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
            Iperf.Result result = Iperf.run(sites.b(), TwoSites.TUNNEL_IP_B, sites.a(), 2);
            assertThat(result.bytesReceived()).isPositive();
        }
    }

    @Test
    void twoWireGuardGoPeersWithPresharedKeyPing() {
        try (TwoSites sites = TwoSites.create();
             WireGuardGoNode a = new WireGuardGoNode(sites.a(), "a");
             WireGuardGoNode b = new WireGuardGoNode(sites.b(), "b")) {
            startPair(sites, a, b, Optional.of(newPresharedKeyFile()));

            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
        }
    }

    @Test
    void wireGuardGoIgnoresTheJunkBattery() {
        try (TwoSites sites = TwoSites.create();
             WireGuardGoNode a = new WireGuardGoNode(sites.a(), "a");
             WireGuardGoNode b = new WireGuardGoNode(sites.b(), "b");
             PacketCapture capture = JunkScenario.startCapture(sites.a(), sites.underlayDevice(), TwoSites.LISTEN_B)) {
            // b gets no endpoint for a: only a initiates, so the capture on a's side holds an initiation.
            b.start(Optional.of(TwoSites.LISTEN_B), LinkSpec.of("wg0", TwoSites.TUNNEL_B),
                    PeerSpec.of(a.publicKey(), TwoSites.TUNNEL_IP_A + "/32"));
            a.start(Optional.of(TwoSites.LISTEN_A), LinkSpec.of("wg0", TwoSites.TUNNEL_A),
                    PeerSpec.of(b.publicKey(), TwoSites.TUNNEL_IP_B + "/32").withEndpoint(TwoSites.LISTEN_B));

            JunkScenario.assertJunkIgnored(capture, a, b, TwoSites.LISTEN_B);
        }
    }

    @Test
    void probeSeesRepliesWhenThereAreSome() {
        try (TwoSites sites = TwoSites.create();
             BackgroundProcess echo = Probe.startEcho(sites.b(), TwoSites.UNDERLAY_B + ":7", 60)) {
            Probe.Result result = Probe.send(sites.a(), TwoSites.UNDERLAY_B + ":7",
                    List.of(new byte[] {1, 2, 3}, new byte[100]), Duration.ofSeconds(2));

            assertThat(result.sent()).isEqualTo(2);
            assertThat(result.replies()).hasSize(2);
            assertThat(result.replies().get(0)).containsExactly(1, 2, 3);
            assertThat(echo.isAlive()).isTrue();
        }
    }

    @Test
    void closingANamespaceEndsItsProcessesAndDeletesIt() {
        Netns netns = Netns.create("self");
        var sleeper = netns.spawn("sleeper", "sleep", "300");
        netns.close();

        assertThat(sleeper.isAlive()).isFalse();
        assertThat(Exec.run("ip", "netns", "list").stdout()).doesNotContain(netns.name());
    }

    private static void startPair(TwoSites sites, WireGuardGoNode a, WireGuardGoNode b, Optional<Path> psk) {
        PeerSpec peerB = PeerSpec.of(b.publicKey(), TwoSites.TUNNEL_IP_B + "/32").withEndpoint(TwoSites.LISTEN_B);
        PeerSpec peerA = PeerSpec.of(a.publicKey(), TwoSites.TUNNEL_IP_A + "/32").withEndpoint(TwoSites.LISTEN_A);
        if (psk.isPresent()) {
            peerA = peerA.withPresharedKey(psk.get());
            peerB = peerB.withPresharedKey(psk.get());
        }
        a.start(Optional.of(TwoSites.LISTEN_A), LinkSpec.of("wg0", TwoSites.TUNNEL_A), peerB);
        b.start(Optional.of(TwoSites.LISTEN_B), LinkSpec.of("wg0", TwoSites.TUNNEL_B), peerA);
    }

    private static Path newPresharedKeyFile() {
        String psk = Exec.run("wg", "genpsk").requireSuccess().stdout();
        return KeyFiles.writeSecret(Workspace.newDir("psk").resolve("psk"), psk);
    }
}
