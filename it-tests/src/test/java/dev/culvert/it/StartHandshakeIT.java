package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.crypto.Keys;
import dev.culvert.crypto.X25519;
import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.DaemonConfig;
import dev.culvert.it.node.Daemons;
import dev.culvert.it.node.TunnelBlock;
import dev.culvert.it.traffic.PacketCapture;
import dev.culvert.it.traffic.Pcap;
import dev.culvert.it.traffic.Ping;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The first handshake at start (issue 13, item 5), with real daemons: an initiation that reaches the responder
 * while its daemon is still opening tunnels is answered once they are open — not dropped, which cost the initiator
 * a 5 s retry. The window is made deterministic instead of hoped for: the responder's first tunnel ({@code t0},
 * opened before the initiator's {@code t1}) has an {@code up} hook that waits for a file, so the daemon holds
 * between binding its UDP socket and registering {@code t1}; the initiator starts then, and its first initiation
 * is seen on the wire before the test lets the hook finish. The assertion is a count, not a time: the initiator
 * sent exactly one initiation before the tunnel carried a ping.
 */
@RequiresNetns(tools = {"tcpdump"})
class StartHandshakeIT {

    private static final String DEVICE = "cv0";
    private static final String HELD_DEVICE = "cv9";
    /** WireGuard's message type 1 (handshake initiation), the first byte of the UDP payload. */
    private static final byte INITIATION = 1;

    @Test
    void anInitiationArrivingWhileTheResponderOpensItsTunnelsIsAnsweredWithoutARetry() throws IOException {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = CulvertNode.withKeysFromTestJvm(culvert, sites.a(), "responder");
             CulvertNode b = CulvertNode.withKeysFromTestJvm(culvert, sites.b(), "initiator")) {
            Path release = a.dir().resolve("release");
            Path hold = a.dir().resolve("hold.sh");
            Files.writeString(hold, "#!/bin/sh\n# culvert IT: holds the daemon's start until the test releases it\n"
                    + "while [ ! -e '" + release + "' ]; do sleep 0.1; done\n");
            Files.setPosixFilePermissions(hold, PosixFilePermissions.fromString("rwx------"));
            String otherKey = Keys.encode(X25519.publicKey(X25519.generatePrivateKey(new SecureRandom())));
            DaemonConfig responder = DaemonConfig.of(a).listenUdp(TwoSites.LISTEN_A)
                    .tunnel(TunnelBlock.tun("t0", HELD_DEVICE, "198.18.0.9/30", otherKey, "198.18.0.10/32")
                            .withUp(hold.toString()))
                    .tunnel(TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_A, b.publicKey(), TwoSites.TUNNEL_IP_B + "/32"));
            BackgroundProcess runA = Daemons.launch(a, responder);
            Daemons.awaitDevices(sites.a(), runA, List.of(HELD_DEVICE)); // its socket is bound; t0's hook waits
            assertThat(runA.stderr()).contains("listening on udp").doesNotContain(Daemons.RUNNING);
            assertThat(sites.a().hasLink(DEVICE)).as("t1 not opened yet").isFalse();

            try (PacketCapture capture = PacketCapture.start(sites.a(), sites.underlayDevice(),
                    "udp and dst host " + TwoSites.UNDERLAY_A + " and dst port " + TwoSites.PORT)) {
                BackgroundProcess runB = Daemons.start(b, DaemonConfig.of(b)
                        .tunnel(TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_B, a.publicKey(), TwoSites.TUNNEL_IP_A + "/32")
                                .withEndpoint(TwoSites.LISTEN_A)), List.of(DEVICE));
                org.awaitility.Awaitility.await("the initiator's first initiation on the responder's wire")
                        .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                        .until(() -> initiations(capture.datagrams()) >= 1);
                assertThat(runA.stderr()).as("the responder is still opening its tunnels").doesNotContain(Daemons.RUNNING);

                Files.writeString(release, "");
                Daemons.awaitRunning(a, runA, List.of(HELD_DEVICE, DEVICE));
                Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
                List<Pcap.Datagram> seen = capture.stop();
                assertThat(initiations(seen)).as("initiations from the initiator before its first ping came back "
                        + "(2: the first was dropped and retried 5 s later)").isEqualTo(1);
                Daemons.requireAlive(runB);
            }
        }
    }

    private static long initiations(List<Pcap.Datagram> datagrams) {
        return datagrams.stream()
                .filter(d -> d.source().startsWith(TwoSites.UNDERLAY_B + ":"))
                .filter(d -> d.payload().length > 0 && d.payload()[0] == INITIATION)
                .count();
    }
}
