package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.harness.Workspace;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.DaemonConfig;
import dev.culvert.it.node.Daemons;
import dev.culvert.it.node.TunnelBlock;
import dev.culvert.it.traffic.Iperf;
import dev.culvert.it.traffic.Ping;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Compression (issue 3, item 3): with the same setting on both sites, a compressible payload crosses the underlay
 * in measurably fewer bytes than it has, and a random one in no fewer (packets that do not shrink go as they are).
 * Wire bytes are the sending site's underlay veth TX counter around one iperf3 run of a file the test writes,
 * compared with the payload bytes the receiver counted.
 */
@RequiresNetns(tools = {"iperf3", "ss"})
class CompressionIT {

    private static final String DEVICE = "cv0";
    private static final int KEEPALIVE_SECONDS = 5;
    /** Payload per run: big enough that handshakes and keepalives do not matter, small enough to be quick. */
    private static final int PAYLOAD_BYTES = 8 * 1024 * 1024;
    /** "Measurably fewer": compressed zeros must take at most half the payload on the wire. */
    private static final double MAX_COMPRESSED_RATIO = 0.5;

    @ParameterizedTest(name = "compression = {0}, {1} payload")
    @CsvSource({"lz4, zeros", "lz4, random", "zlib:6, zeros"})
    void wireBytesFollowHowCompressibleThePayloadIs(String compression, String payload) {
        Path file = payloadFile(payload);
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "site-a");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "site-b")) {
            BackgroundProcess runA = Daemons.start(a, DaemonConfig.of(a).listenUdp(TwoSites.LISTEN_A)
                    .tunnel(TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_A, b.publicKey(), TwoSites.TUNNEL_IP_B + "/32")
                            .withCompression(compression)), List.of(DEVICE));
            BackgroundProcess runB = Daemons.start(b, DaemonConfig.of(b)
                    .tunnel(TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_B, a.publicKey(), TwoSites.TUNNEL_IP_A + "/32")
                            .withCompression(compression).withEndpoint(TwoSites.LISTEN_A)
                            .withKeepalive(KEEPALIVE_SECONDS)), List.of(DEVICE));
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);

            long before = txBytes(sites.b(), sites.underlayDevice());
            Iperf.Result sent = Iperf.sendFile(sites.a(), TwoSites.TUNNEL_IP_A, sites.b(), file, PAYLOAD_BYTES);
            long wire = txBytes(sites.b(), sites.underlayDevice()) - before;

            // iperf3 --bytes ends the test once the client has written the file; what was still in flight is not
            // counted by the receiver. Every byte it did count crossed site B's underlay, so the comparisons hold.
            assertThat(sent.bytesReceived()).as("payload bytes iperf3 delivered").isGreaterThan(PAYLOAD_BYTES / 2);
            String what = String.format("underlay bytes sent by site B for %d payload bytes of %s with %s (ratio %.3f)",
                    sent.bytesReceived(), payload, compression, (double) wire / sent.bytesReceived());
            System.out.println(what);
            if (payload.equals("zeros")) {
                assertThat(wire).as(what).isLessThan((long) (sent.bytesReceived() * MAX_COMPRESSED_RATIO));
            } else {
                assertThat(wire).as(what).isGreaterThanOrEqualTo(sent.bytesReceived());
            }
            for (BackgroundProcess run : List.of(runA, runB)) {
                assertThat(run.stderr()).as("log of %s", run.label())
                        .contains("compression " + compression)
                        .containsOnlyOnce("VORACLE");
            }
        }
    }

    /** A file of {@link #PAYLOAD_BYTES} zeros or random bytes. */
    private static Path payloadFile(String kind) {
        byte[] bytes = new byte[PAYLOAD_BYTES];
        if (kind.equals("random")) {
            new SecureRandom().nextBytes(bytes);
        }
        Path file = Workspace.newDir("payload").resolve(kind + ".bin");
        try {
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static long txBytes(Netns netns, String device) {
        return Long.parseLong(netns.exec("cat", "/sys/class/net/" + device + "/statistics/tx_bytes")
                .requireSuccess().stdout().strip());
    }
}
