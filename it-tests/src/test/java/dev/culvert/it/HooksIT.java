package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.DaemonConfig;
import dev.culvert.it.node.Daemons;
import dev.culvert.it.node.TunnelBlock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * up/down hooks (issue 3, item 5), on a client site (so {@code %peer%} has a value): the hooks write what they
 * were given to files the test reads. Substituted values are passed as separate arguments ({@code $1..$4} of an
 * explicit {@code sh -c}), never spliced into shell text; the same values arrive as CULVERT_* variables.
 */
@RequiresNetns
class HooksIT {

    private static final String TUNNEL = "site-a";
    private static final String DEVICE = "cv-hooks";
    private static final int HOOK_FAILURE_CODE = 3;
    /** What every hook writes: the four values from arguments, then from the environment. */
    private static final String EXPECTED = DEVICE + " " + TUNNEL + " " + TwoSites.UNDERLAY_A + " " + TwoSites.TUNNEL_IP_B;

    @Test
    void upAndDownHooksSeeTheTunnelsValues() throws IOException {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode b = new CulvertNode(culvert, sites.b(), "site-b")) {
            Path up = b.dir().resolve("up.txt");
            Path upEnv = b.dir().resolve("up-env.txt");
            Path upDevice = b.dir().resolve("up-device.txt");
            Path down = b.dir().resolve("down.txt");
            Path downDevice = b.dir().resolve("down-device.txt");
            TunnelBlock tunnel = TunnelBlock.tun(TUNNEL, DEVICE, TwoSites.TUNNEL_B, peerKey(culvert), TwoSites.TUNNEL_IP_A + "/32")
                    .withEndpoint(TwoSites.LISTEN_A)
                    .withUp(writeArgs(up))
                    .withUp("sh -c 'echo \"$CULVERT_DEV $CULVERT_NAME $CULVERT_PEER $CULVERT_LOCAL\" > " + upEnv + "'")
                    // after the device is configured: it has its address when the up hooks run
                    .withUp("sh -c 'ip -br addr show dev \"$1\" > " + upDevice + "' sh %dev%")
                    .withDown(writeArgs(down))
                    // before the device is removed: it still exists when the down hooks run
                    .withDown("sh -c 'ip -br link show dev \"$CULVERT_DEV\" > " + downDevice + "'");
            BackgroundProcess run = Daemons.start(b, DaemonConfig.of(b).tunnel(tunnel), List.of(DEVICE));
            // The device exists before its up hooks run; "running" is logged once every tunnel has started.
            Daemons.awaitLog(run, "running 1 tunnel(s)", CulvertNode.START_TIMEOUT);

            assertThat(read(up)).as("up hook arguments %%dev%% %%name%% %%peer%% %%local%%").isEqualTo(EXPECTED);
            assertThat(read(upEnv)).as("up hook CULVERT_* variables").isEqualTo(EXPECTED);
            assertThat(read(upDevice)).as("the device as the up hook saw it").startsWith(DEVICE)
                    .contains(TwoSites.TUNNEL_B);
            assertThat(down).as("no down hook before the daemon stops").doesNotExist();

            run.signal("TERM");
            assertThat(run.awaitExit(CulvertNode.STOP_TIMEOUT)).as("exit code; stderr:%n%s", run.stderr()).isZero();
            assertThat(read(down)).as("down hook arguments").isEqualTo(EXPECTED);
            assertThat(read(downDevice)).as("the device as the down hook saw it").startsWith(DEVICE);
            assertThat(sites.b().hasLink(DEVICE)).as("device removed after the down hooks").isFalse();
        }
    }

    @Test
    void aFailingUpHookFailsTheStartAndRemovesTheDevice() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode b = new CulvertNode(culvert, sites.b(), "site-b")) {
            String hook = "sh -c 'exit " + HOOK_FAILURE_CODE + "'";
            TunnelBlock tunnel = TunnelBlock.tun(TUNNEL, DEVICE, TwoSites.TUNNEL_B, peerKey(culvert), TwoSites.TUNNEL_IP_A + "/32")
                    .withEndpoint(TwoSites.LISTEN_A).withUp(hook);
            BackgroundProcess run = b.launch(b.writeConfig(DaemonConfig.of(b).tunnel(tunnel).render()));

            int exitCode = run.awaitExit(CulvertNode.START_TIMEOUT);
            String stderr = run.stderr();
            assertThat(exitCode).as("exit code of culvert run; stderr:%n%s", stderr).isNotZero();
            List<String> errors = stderr.lines().filter(l -> l.contains("exit code " + HOOK_FAILURE_CODE)).toList();
            assertThat(errors).as("the error line(s) in:%n%s", stderr).hasSize(1);
            assertThat(errors.get(0)).contains("ERROR", "tunnel " + TUNNEL, "up hook", hook);
            assertThat(stderr).as("no stack trace").doesNotContain("\tat ", "Exception");
            assertThat(sites.b().hasLink(DEVICE)).as("device removed after the failed start").isFalse();
        }
    }

    /** A key for site A, which never runs here: the hooks need no answer from the peer. */
    private static String peerKey(CulvertDistribution culvert) {
        return culvert.pubkey(culvert.genkey());
    }

    /** A hook that writes its four substituted arguments (passed as $1..$4, outside the shell text). */
    private static String writeArgs(Path file) {
        return "sh -c 'echo \"$1 $2 $3 $4\" > " + file + "' sh %dev% %name% %peer% %local%";
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read what the hook wrote to " + file, e);
        }
    }
}
