package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.Exec;
import dev.culvert.it.harness.ExecResult;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.harness.Workspace;
import dev.culvert.it.node.CulvertConfig;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.KeyFiles;
import dev.culvert.it.node.LinkSpec;
import dev.culvert.it.node.PeerSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The command line as a user meets it, through {@code bin/culvert}: key tools that agree with
 * {@code wg}, {@code check-config} errors that name file and line, and {@code run} failing with
 * one clear line (no stack trace) when it cannot make its device.
 */
@RequiresNetns(tools = {"wg", "setpriv"})
class CliIT {

    private static final Duration RUN_FAILS_WITHIN = Duration.ofSeconds(30);
    private static final int KEY_LENGTH = 32;

    private CulvertDistribution culvert;
    private Path dir;

    @BeforeEach
    void setUp() {
        culvert = CulvertDistribution.locate();
        dir = Workspace.newDir("cli");
    }

    @Test
    void culvertGenkeyGivesAKeyWhosePublicHalfWgAgreesOn() {
        String privateKey = culvert.genkey();

        assertThat(Base64.getDecoder().decode(privateKey)).hasSize(KEY_LENGTH);
        assertThat(culvert.pubkey(privateKey)).isEqualTo(wg("pubkey", privateKey));
    }

    @Test
    void culvertPubkeyAgreesWithWgOnAKeyFromWgGenkey() {
        String privateKey = wg("genkey", null);

        assertThat(culvert.pubkey(privateKey)).isEqualTo(wg("pubkey", privateKey));
    }

    @Test
    void genpskGivesFreshThirtyTwoByteKeys() {
        String first = culvert.genpsk();
        String second = culvert.genpsk();

        assertThat(Base64.getDecoder().decode(first)).hasSize(KEY_LENGTH);
        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void checkConfigAcceptsAGoodFile() {
        Path config = write("good.conf", goodConfig(ownerOnlyKey()));

        ExecResult result = culvert.checkConfig(config);

        assertThat(result.exitCode()).as(result.describe()).isZero();
    }

    @Test
    void checkConfigNamesTheFileAndLineOfAnUnknownKey() {
        List<String> lines = new ArrayList<>(goodConfig(ownerOnlyKey()).lines().toList());
        lines.add(2, "  no-such-setting = 1"); // becomes line 3
        Path config = write("unknown-key.conf", String.join("\n", lines) + "\n");

        ExecResult result = culvert.checkConfig(config);

        assertThat(result.exitCode()).as(result.describe()).isNotZero();
        assertThat(result.stderr()).contains(config + ":3:").contains("no-such-setting");
    }

    @Test
    void checkConfigNamesTheFileAndLineOfAValueOfTheWrongType() {
        List<String> lines = goodConfig(ownerOnlyKey()).lines().toList();
        int mtuLine = indexOfLineContaining(lines, "mtu = ") + 1;
        Path config = write("bad-mtu.conf", String.join("\n", lines).replace("mtu = 1420", "mtu = \"large\"") + "\n");

        ExecResult result = culvert.checkConfig(config);

        assertThat(result.exitCode()).as(result.describe()).isNotZero();
        assertThat(result.stderr()).contains(config + ":" + mtuLine + ":").contains("mtu");
    }

    @Test
    void runRefusesAPrivateKeyFileThatOthersCanRead() {
        Path key = ownerOnlyKey();
        KeyFiles.chmod(key, "rw-r--r--");
        Path config = write("open-key.conf", goodConfig(key));
        try (Netns netns = Netns.create("cli")) {
            netns.standaloneLink("ul0", TwoSites.UNDERLAY_A + "/24");

            ExecResult result = runToFailure(netns, List.of(), config);

            assertThat(result.stderr()).contains(key.toString());
            assertThat(result.stderr() + result.stdout()).doesNotContain(readKey(key));
            assertThat(netns.hasLink("cv0")).isFalse();
        }
    }

    @Test
    void runFailsWithOneLineWhenTheDeviceNameIsTaken() {
        Path config = write("taken.conf", goodConfig(ownerOnlyKey()));
        try (Netns netns = Netns.create("cli")) {
            netns.standaloneLink("ul0", TwoSites.UNDERLAY_A + "/24");
            netns.ip("link", "add", "cv0", "type", "veth", "peer", "name", "cv0p"); // someone else's device

            ExecResult result = runToFailure(netns, List.of(), config);

            assertThat(result.stderr()).contains("cv0");
            assertThat(netns.hasLink("cv0")).as("the other device must be left alone").isTrue();
        }
    }

    @Test
    void runFailsWithOneLineWithoutPermissionToCreateATunDevice() {
        Path config = write("no-tun.conf", goodConfig(ownerOnlyKey()));
        try (Netns netns = Netns.create("cli")) {
            netns.standaloneLink("ul0", TwoSites.UNDERLAY_A + "/24");
            // Root without CAP_NET_ADMIN: opening /dev/net/tun works, TUNSETIFF gets EPERM.
            List<String> dropNetAdmin = List.of("setpriv", "--inh-caps=-net_admin", "--bounding-set=-net_admin");

            ExecResult result = runToFailure(netns, dropNetAdmin, config);

            assertThat(result.stderr()).containsIgnoringCase("tun");
            assertThat(netns.hasLink("cv0")).isFalse();
        }
    }

    /**
     * Runs {@code culvert run} in {@code netns} (behind {@code wrapper}), expects it to exit
     * non-zero on its own, and checks the error is short: no stack trace, no exception dump.
     */
    private ExecResult runToFailure(Netns netns, List<String> wrapper, Path config) {
        List<String> command = new ArrayList<>(wrapper);
        command.addAll(culvert.command("run", "--config", config.toString()));
        BackgroundProcess run = netns.spawn("culvert-run", Map.of(), command);
        int exitCode = run.awaitExit(RUN_FAILS_WITHIN);
        ExecResult result = new ExecResult(command, exitCode, run.stdout(), run.stderr());

        assertThat(exitCode).as(result.describe()).isNotZero();
        assertThat(result.stderr()).as("a one-line error, not a stack trace: %s", result.stderr())
                .isNotBlank()
                .doesNotContain("Exception in thread")
                .doesNotContainPattern("(?m)^\\s+at [\\w$.]+\\(");
        return result;
    }

    private Path ownerOnlyKey() {
        return KeyFiles.writeSecret(dir.resolve("node-" + System.nanoTime() + ".key"), culvert.genkey());
    }

    private String goodConfig(Path privateKeyFile) {
        String peer = culvert.pubkey(culvert.genkey());
        return CulvertConfig.render(privateKeyFile, Optional.of(TwoSites.LISTEN_A),
                LinkSpec.of("cv0", TwoSites.TUNNEL_A), PeerSpec.of(peer, TwoSites.TUNNEL_IP_B + "/32"));
    }

    private Path write(String name, String text) {
        try {
            return Files.writeString(dir.resolve(name), text);
        } catch (IOException e) {
            throw new AssertionError("cannot write " + name, e);
        }
    }

    private static String readKey(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new AssertionError("cannot read " + file, e);
        }
    }

    private static int indexOfLineContaining(List<String> lines, String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i;
            }
        }
        throw new AssertionError("no line contains " + text);
    }

    private static String wg(String subcommand, String stdin) {
        return Exec.run(List.of("wg", subcommand), stdin == null ? null : stdin + "\n", Map.of(), Exec.DEFAULT_TIMEOUT)
                .requireSuccess().stdout().strip();
    }
}
