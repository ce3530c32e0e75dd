package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.DaemonConfig;
import dev.culvert.it.node.Daemons;
import dev.culvert.it.node.TunnelBlock;
import dev.culvert.it.traffic.Ping;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Two sites whose tunnel settings differ (issue 3, items 2 and 3): a clear log line, never garbage on the device.
 * Different compression is still understood both ways (the flag is inside the authenticated plaintext); tap against
 * tun cannot work and is dropped, counted and named.
 */
@RequiresNetns
class ConfigMismatchIT {

    private static final String DEVICE = "cv0";
    private static final int KEEPALIVE_SECONDS = 5;
    private static final Duration LOGGED_WITHIN = Duration.ofSeconds(20);
    /** A ping payload of zeros, which lz4 shrinks, so the compressing side really sends compressed packets. */
    private static final String[] ZERO_PING = {"ping", "-n", "-c", "3", "-i", "0.2", "-s", "1000", "-p", "00"};

    @Test
    void differentCompressionIsUnderstoodAndReported() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "site-a");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "site-b")) {
            Daemons.start(a, DaemonConfig.of(a).listenUdp(TwoSites.LISTEN_A).tunnel(
                    tun(TwoSites.TUNNEL_A, b.publicKey(), TwoSites.TUNNEL_IP_B).withCompression("lz4")), List.of(DEVICE));
            BackgroundProcess runB = Daemons.start(b, DaemonConfig.of(b).tunnel(
                    tun(TwoSites.TUNNEL_B, a.publicKey(), TwoSites.TUNNEL_IP_A).withCompression("off")
                            .withEndpoint(TwoSites.LISTEN_A).withKeepalive(KEEPALIVE_SECONDS)), List.of(DEVICE));
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);

            assertThat(sites.b().exec(withTarget(TwoSites.TUNNEL_IP_A)).stdout())
                    .as("compressed replies from site A understood by site B").contains("3 received");
            Daemons.awaitLog(runB, "the two configs differ", LOGGED_WITHIN);
            assertThat(runB.stderr()).contains("the peer compresses with lz4");
        }
    }

    @Test
    void tapAgainstTunIsDroppedAndNamed() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "site-a");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "site-b")) {
            BackgroundProcess runA = Daemons.start(a, DaemonConfig.of(a).listenUdp(TwoSites.LISTEN_A)
                    .tunnel(TunnelBlock.tap("t1", DEVICE, b.publicKey())), List.of(DEVICE));
            Daemons.start(b, DaemonConfig.of(b).tunnel(tun(TwoSites.TUNNEL_B, a.publicKey(), TwoSites.TUNNEL_IP_A)
                    .withEndpoint(TwoSites.LISTEN_A).withKeepalive(KEEPALIVE_SECONDS)), List.of(DEVICE));
            long before = rxPackets(sites.a());

            // Site B's pings handshake (the keys agree) and then arrive as IP packets at a tap tunnel.
            await("site B pinging into site A's tap tunnel until site A names the mismatch").atMost(LOGGED_WITHIN)
                    .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(200)).until(() -> {
                        assertThat(Ping.once(sites.b(), TwoSites.TUNNEL_IP_A).ok()).as("a ping from tun into tap")
                                .isFalse();
                        return runA.stderr().contains("mode mismatch");
                    });
            assertThat(runA.stderr()).contains("check device.mode on both sites").containsOnlyOnce("mode mismatch");
            assertThat(rxPackets(sites.a())).as("packets site A's daemon wrote to its tap device").isEqualTo(before);
        }
    }

    private static TunnelBlock tun(String address, String peerKey, String peerIp) {
        return TunnelBlock.tun("t1", DEVICE, address, peerKey, peerIp + "/32");
    }

    private static String[] withTarget(String target) {
        String[] command = java.util.Arrays.copyOf(ZERO_PING, ZERO_PING.length + 1);
        command[ZERO_PING.length] = target;
        return command;
    }

    /** Packets the daemon has written into its device: what the kernel counts as received on it. */
    private static long rxPackets(Netns site) {
        return Long.parseLong(site.exec("cat", "/sys/class/net/" + DEVICE + "/statistics/rx_packets")
                .requireSuccess().stdout().strip());
    }
}
