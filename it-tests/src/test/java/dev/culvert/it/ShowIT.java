package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.ExecResult;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.node.CulvertConfig;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.LinkSpec;
import dev.culvert.it.node.PeerSpec;
import dev.culvert.it.traffic.Ping;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Two sites, each daemon with its own control socket (culvert.control.socket in its folder), a ping,
 * then {@code culvert show} inside site A: the peer, its endpoint, allowed IPs, a handshake and transfer.
 */
@RequiresNetns
class ShowIT {

    @Test
    void showPrintsThePeerAndItsTransfer() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "site-a");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "site-b")) {
            Path socketA = a.dir().resolve("control.sock");
            BackgroundProcess runA = launch(a, socketA, Optional.of(TwoSites.LISTEN_A), LinkSpec.of("cv0", TwoSites.TUNNEL_A),
                    PeerSpec.of(b.publicKey(), TwoSites.TUNNEL_IP_B + "/32").withEndpoint(TwoSites.LISTEN_B));
            BackgroundProcess runB = launch(b, b.dir().resolve("control.sock"), Optional.of(TwoSites.LISTEN_B),
                    LinkSpec.of("cv0", TwoSites.TUNNEL_B),
                    PeerSpec.of(a.publicKey(), TwoSites.TUNNEL_IP_A + "/32").withEndpoint(TwoSites.LISTEN_A));
            awaitLink(sites.a(), runA);
            awaitLink(sites.b(), runB);

            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);

            ExecResult text = show(culvert, sites.a(), "--socket", socketA.toString());
            assertThat(text.stdout()).contains("public key: " + a.publicKey(), "listening port: 51820",
                    "tunnel: t1", "state: up", "device: cv0 (tun)", "transport: udp", "peer: " + b.publicKey(),
                    "endpoint: " + TwoSites.LISTEN_B, "allowed ips: " + TwoSites.TUNNEL_IP_B + "/32",
                    "latest handshake: ", " received, ", " sent");
            assertThat(text.stdout()).doesNotContain("transfer: 0 B");

            ExecResult json = show(culvert, sites.a(), "t1", "--json", "--socket", socketA.toString());
            assertThat(json.stdout()).startsWith("{\"version\":1,").contains("\"name\":\"t1\"");
            assertThat(json.stdout()).doesNotContainPattern("\"rx_bytes\":0[,}]");

            ExecResult missing = culvert(culvert, sites.a(), "show", "nope", "--socket", socketA.toString());
            assertThat(missing.exitCode()).isEqualTo(1);
            assertThat(missing.stderr()).contains("no tunnel named 'nope'");

            for (BackgroundProcess run : List.of(runA, runB)) {
                run.signal("TERM");
                assertThat(run.awaitExit(CulvertNode.STOP_TIMEOUT)).as("exit code; stderr:%n%s", run.stderr()).isZero();
            }
            assertThat(socketA).as("control socket removed on stop").doesNotExist();
        }
    }

    private static BackgroundProcess launch(CulvertNode node, Path socket, Optional<String> listen, LinkSpec link,
                                            PeerSpec peer) {
        String text = CulvertConfig.render(node.privateKeyFile(), listen, link, peer)
                + "culvert.control.socket = \"" + socket + "\"\n";
        return node.launch(node.writeConfig(text));
    }

    private static void awaitLink(Netns netns, BackgroundProcess run) {
        await("cv0 in " + netns).atMost(CulvertNode.START_TIMEOUT).pollInterval(Duration.ofMillis(200)).until(() -> {
            assertThat(run.isAlive()).as("culvert alive; stderr:%n%s", run.stderr()).isTrue();
            return netns.hasLink("cv0");
        });
    }

    private static ExecResult show(CulvertDistribution culvert, Netns netns, String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "show";
        System.arraycopy(args, 0, all, 1, args.length);
        ExecResult result = culvert(culvert, netns, all);
        assertThat(result.exitCode()).as("culvert show: %s", result.describe()).isZero();
        return result;
    }

    private static ExecResult culvert(CulvertDistribution culvert, Netns netns, String... args) {
        return netns.exec(culvert.command(args), null, Map.of(), CulvertDistribution.CLI_TIMEOUT);
    }
}
