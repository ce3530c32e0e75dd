package dev.culvert.it.pkg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.Exec;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.LinkSpec;
import dev.culvert.it.node.PeerSpec;
import dev.culvert.it.traffic.Ping;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The daemon as culvert@.service runs it: a user that is not root, holding CAP_NET_ADMIN and nothing
 * else (ambient, so the {@code ip} it runs has it too), made with {@code setpriv} instead of systemd.
 * Site B runs that way; site A as root. The tunnel must come up and carry ping both ways, and SIGTERM
 * must still remove the device.
 */
@RequiresNetns(tools = {"setpriv"})
class NonRootCapabilityIT {

    /** An unprivileged uid/gid with no passwd entry, far from any distribution's ranges. */
    private static final int UID = 64_917;
    private static final int GID = 64_917;
    /** CAP_NET_ADMIN is capability number 12. */
    private static final long CAP_NET_ADMIN_MASK = 1L << 12;

    @Test
    void aNonRootDaemonWithOnlyCapNetAdminBringsUpATunnel() throws IOException {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "root-a");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "nonroot-b")) {
            a.start(Optional.of(TwoSites.LISTEN_A), LinkSpec.of("cv0", TwoSites.TUNNEL_A),
                    PeerSpec.of(b.publicKey(), TwoSites.TUNNEL_IP_B + "/32").withEndpoint(TwoSites.LISTEN_B));
            Path config = b.writeConfig(Optional.of(TwoSites.LISTEN_B), LinkSpec.of("cv0", TwoSites.TUNNEL_B),
                    PeerSpec.of(a.publicKey(), TwoSites.TUNNEL_IP_A + "/32").withEndpoint(TwoSites.LISTEN_A));
            // The daemon's user owns its key (0600) and config, as in /etc/culvert.
            Exec.run("chown", "-R", UID + ":" + GID, b.dir().toString()).requireSuccess();

            BackgroundProcess daemon = sites.b().spawn("culvert-nonroot-b", Map.of(), asUnprivileged(culvert, config));
            await("device cv0 of the non-root daemon").atMost(CulvertNode.START_TIMEOUT)
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        if (!daemon.isAlive()) {
                            throw new AssertionError("the non-root daemon exited with code " + daemon.awaitExit(Duration.ZERO)
                                    + "; stderr:\n" + daemon.stderr());
                        }
                        return sites.b().hasLink("cv0");
                    });
            assertRunsAsUnprivilegedWithOnlyNetAdmin(daemon);

            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);

            daemon.signal("TERM");
            assertThat(daemon.awaitExit(CulvertNode.STOP_TIMEOUT)).as("exit code; stderr:%n%s", daemon.stderr()).isZero();
            assertThat(sites.b().hasLink("cv0")).as("device removed by the non-root daemon").isFalse();
            a.stop();
        }
    }

    /** {@code setpriv} with the identity and capabilities culvert@.service gives the daemon. */
    private static List<String> asUnprivileged(CulvertDistribution culvert, Path config) {
        List<String> command = new ArrayList<>(List.of("setpriv",
                "--reuid=" + UID, "--regid=" + GID, "--clear-groups",
                "--inh-caps=-all,+net_admin", "--ambient-caps=+net_admin", "--bounding-set=-all,+net_admin",
                "--no-new-privs", "--"));
        command.addAll(culvert.command("run", "--config", config.toString()));
        return command;
    }

    /** The process that made the device is the JVM, as the unprivileged uid, with CAP_NET_ADMIN alone. */
    private static void assertRunsAsUnprivilegedWithOnlyNetAdmin(BackgroundProcess daemon) throws IOException {
        List<String> status = Files.readAllLines(Path.of("/proc", Long.toString(daemon.pid()), "status"));
        assertThat(value(status, "Name:")).as("the process in %s (setpriv and the launcher exec it)", daemon).isEqualTo("java");
        assertThat(value(status, "Uid:").split("\\s+")).as("real, effective, saved, fs uid").containsOnly(Integer.toString(UID));
        assertThat(Long.parseUnsignedLong(value(status, "CapEff:"), 16)).as("effective capabilities").isEqualTo(CAP_NET_ADMIN_MASK);
        assertThat(Long.parseUnsignedLong(value(status, "CapBnd:"), 16)).as("bounding set").isEqualTo(CAP_NET_ADMIN_MASK);
    }

    private static String value(List<String> status, String key) {
        return status.stream().filter(l -> l.startsWith(key)).findFirst()
                .map(l -> l.substring(key.length()).strip())
                .orElseThrow(() -> new AssertionError("no " + key + " in /proc/<pid>/status"));
    }
}
