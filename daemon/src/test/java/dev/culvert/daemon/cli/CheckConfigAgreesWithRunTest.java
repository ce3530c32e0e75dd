package dev.culvert.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.config.CulvertConfig;
import dev.culvert.crypto.ChaCha20Poly1305Factory;
import dev.culvert.crypto.Keys;
import dev.culvert.crypto.X25519;
import dev.culvert.daemon.Daemon;
import dev.culvert.daemon.TwinHosts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Issue 13: {@code check-config} runs every check that {@code run} does, before the network is touched. One table
 * of config inputs, good and bad, goes through both commands as a user runs them ({@code check-config FILE} and
 * {@code run --config FILE}, run starting its daemon on the in-memory twin host and stopping it as SIGTERM would):
 * every input check-config accepts, run starts with; every input it refuses, run refuses before starting anything,
 * with the same problem lines.
 */
class CheckConfigAgreesWithRunTest {
    private static final InetSocketAddress UNDERLAY = new InetSocketAddress("192.0.2.1", 51820);
    private static final String LOW_ORDER_KEY = Keys.encode(new byte[32]);

    @TempDir
    Path dir;
    private String ownPublicKey;
    private final String peerKey = Keys.encode(X25519.publicKey(X25519.generatePrivateKey(new SecureRandom())));
    private final String otherPeerKey = Keys.encode(X25519.publicKey(X25519.generatePrivateKey(new SecureRandom())));

    /**
     * One input.
     *
     * @param name     what it is
     * @param edit     turns the good base config into this input
     * @param files    prepares the directory after the good key files are written (may break them)
     * @param aeadProp a {@code -Dculvert.aead} value for this row, or null
     * @param refusal  a part of the problem both must report; null: both must accept
     */
    record Row(String name, UnaryOperator<String> edit, Consumer<Path> files, String aeadProp, String refusal) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Row accepts(String name, UnaryOperator<String> edit) {
        return new Row(name, edit, d -> { }, null, null);
    }

    private static Row refuses(String name, UnaryOperator<String> edit, String refusal) {
        return new Row(name, edit, d -> { }, null, refusal);
    }

    private static Row refusesFiles(String name, Consumer<Path> files, String refusal) {
        return new Row(name, t -> t, files, null, refusal);
    }

    private static UnaryOperator<String> device(String from, String to) {
        return t -> replaceOnce(t, from, to);
    }

    static Stream<Row> rows() {
        return Stream.of(
                accepts("the base: a listening site", t -> t),
                accepts("a client whose endpoint name does not resolve yet",
                        device("allowed-ips = ", "endpoint = \"vpn.invalid:51820\", allowed-ips = ")),
                accepts("a tap device with a MAC and MTU 1500",
                        device("name = cv0,", "name = cv0, mode = tap, mtu = 1500, mac = \"02:00:00:00:00:01\",")),
                accepts("an adopted device (device.existing = true)", device("name = cv0,", "name = cv0, existing = true,")),
                accepts("IPv6 inside the tunnel", device("address = \"198.18.0.1/30\"", "address = \"2001:db8:1::1/64\"")),
                accepts("a preshared key file (0600)", device("allowed-ips = ", "preshared-key-file = b.psk, allowed-ips = ")),
                accepts("a second tunnel over TCP", t -> replaceOnce(t, "listen.udp", "listen.tcp = \"192.0.2.1:51821\"\n  listen.udp")
                        .replace("    # more tunnels", "    t2 {\n      transport = tcp\n      device { name = cv1 }\n"
                                + "      peer { public-key = \"%OTHER%\", allowed-ips = [\"198.18.1.2/32\"] }\n    }")),
                accepts("an up hook", device("    t1 {", "    t1 {\n      up = [\"true %dev%\"]")),
                accepts("a device name of 15 bytes", device("name = cv0,", "name = \"cv-fifteen-byte\",")),
                new Row("a tunnel's keepalive overridden in an included file", t -> t + "include \"local.conf\"\n",
                        d -> write(d.resolve("local.conf"), "culvert.tunnels.t1 { keepalive { persistent = 10s } }\n"),
                        null, null),

                refuses("an unquoted public key", t -> t.replace("public-key = \"%PEER%\"", "public-key = %PEER%"),
                        "base64 keys must be quoted"),
                refusesFiles("a missing private key file", d -> delete(d.resolve("a.key")), "private-key-file"),
                refusesFiles("a private key file others can read (0644)", d -> chmod(d.resolve("a.key"), "rw-r--r--"),
                        "private-key-file"),
                refusesFiles("a private key file that is no key", d -> write(d.resolve("a.key"), "not a key\n"),
                        "private-key-file"),
                new Row("a preshared key file others can read (0644)",
                        device("allowed-ips = ", "preshared-key-file = b.psk, allowed-ips = "),
                        d -> chmod(d.resolve("b.psk"), "rw-r--r--"), null, "preshared-key-file"),
                refuses("a bad address", device("198.18.0.1/30", "198.18.0.300/30"), "device.address"),
                refuses("a route with host bits", device("198.18.4.0/24", "198.18.4.1/24"), "device.routes"),
                refuses("two tunnels with one device name", t -> t.replace("    # more tunnels",
                        "    t2 {\n      device { name = cv0 }\n"
                                + "      peer { public-key = \"%OTHER%\", allowed-ips = [\"198.18.1.2/32\"] }\n    }"),
                        "device name 'cv0' is also used by tunnel 't1'"),
                refuses("a tunnel written twice in one file", t -> t.replace("    # more tunnels",
                        "    t1 {\n      device { name = cv1 }\n"
                                + "      peer { public-key = \"%OTHER%\", allowed-ips = [\"198.18.1.2/32\"] }\n    }"),
                        "tunnel 't1' is written twice in one file"),
                refuses("a tunnel setting given again in one file, as a path",
                        t -> t + "culvert.tunnels.t1.device.name = cv1\n", "tunnel 't1' is written twice in one file"),
                refuses("an MTU below 576", device("name = cv0,", "name = cv0, mtu = 100,"), "device.mtu"),
                refuses("an MTU that is no number", device("name = cv0,", "name = cv0, mtu = large,"), "device.mtu"),
                refuses("an unknown mode", device("name = cv0,", "name = cv0, mode = tap2,"), "device.mode"),
                refuses("an unknown key", device("name = cv0,", "name = cv0, colour = blue,"), "unknown key 'colour'"),
                refuses("a MAC on a tun device", device("name = cv0,", "name = cv0, mac = \"02:00:00:00:00:01\","),
                        "device.mac"),
                refuses("device.existing that is no boolean", device("name = cv0,", "name = cv0, existing = maybe,"),
                        "device.existing"),
                refuses("a device name with %", device("name = cv0,", "name = \"cv%d\","), "device.name"),
                refuses("a device name of 16 bytes in 10 characters", device("name = cv0,", "name = \"cv-ééééééé\","),
                        "device.name"),
                refuses("a device name with a control character", device("name = cv0,", "name = \"cv\\u0007\","),
                        "device.name"),
                refuses("the peer key is this host's own", t -> t.replace("%PEER%", "%OWN%"), "this host's own public key"),
                refuses("a low-order peer key", t -> t.replace("%PEER%", LOW_ORDER_KEY), "low-order point"),
                refuses("no endpoint and not listening", t -> t.replace("  listen.udp = \"192.0.2.1:51820\"\n", ""),
                        "no endpoint to dial"),
                refuses("a bad listen address", t -> t.replace("192.0.2.1:51820", "192.0.2.1:99999"), "listen.udp"),
                refuses("a hook with an unbalanced quote", device("    t1 {", "    t1 {\n      up = [\"echo 'oops\"]"),
                        "up"),
                refuses("an unknown culvert.aead", t -> t.replace("metrics.bind", "aead = fastest\n  metrics.bind"),
                        "culvert.aead"),
                new Row("a -Dculvert.aead that names no implementation", t -> t, d -> { }, "nope", "culvert.aead"));
    }

    @BeforeEach
    void keys() throws IOException {
        ownPublicKey = TwinHosts.writeKey(dir.resolve("a.key"));
        writeSecret(dir.resolve("b.psk"), Keys.encode(X25519.generatePrivateKey(new SecureRandom())) + "\n");
    }

    private String base() {
        return """
                culvert {
                  private-key-file = a.key
                  listen.udp = "192.0.2.1:51820"
                  metrics.bind = off
                  control.socket = a.sock
                  tunnels {
                    t1 {
                      device { name = cv0, address = "198.18.0.1/30", routes = ["198.18.4.0/24"] }
                      peer { public-key = "%PEER%", allowed-ips = ["198.18.0.2/32"] }
                    }
                    # more tunnels
                  }
                }
                """;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void checkConfigAndRunAgree(Row row) throws Exception {
        String text = row.edit().apply(base()).replace("%PEER%", peerKey).replace("%OWN%", ownPublicKey)
                .replace("%OTHER%", otherPeerKey);
        row.files().accept(dir);
        Path file = Files.writeString(dir.resolve("culvert.conf"), text);
        String previous = System.getProperty(ChaCha20Poly1305Factory.PROPERTY);
        if (row.aeadProp() != null) {
            System.setProperty(ChaCha20Poly1305Factory.PROPERTY, row.aeadProp());
        }
        Outcome check;
        Outcome run;
        FakeHost host = new FakeHost();
        try {
            check = execute(new CheckConfigCommand(), file.toString());
            run = execute(new RunCommand(host), "--config", file.toString());
        } finally {
            if (previous == null) {
                System.clearProperty(ChaCha20Poly1305Factory.PROPERTY);
            } else {
                System.setProperty(ChaCha20Poly1305Factory.PROPERTY, previous);
            }
        }

        if (row.refusal() == null) {
            assertThat(check.exitCode()).as("check-config accepts; stderr:%n%s", check.stderr()).isZero();
            assertThat(run.exitCode()).as("run starts and stops cleanly; stderr:%n%s", run.stderr()).isZero();
            assertThat(host.started).as("run started a daemon").hasSize(1);
        } else {
            assertThat(check.exitCode()).as("check-config refuses with EX_CONFIG; stdout:%n%s", check.stdout())
                    .isEqualTo(ExitStatus.CONFIG).isEqualTo(78);
            assertThat(check.stderr()).contains(row.refusal());
            assertThat(run.exitCode()).as("run refuses with EX_CONFIG, which the unit does not restart on")
                    .isEqualTo(78);
            assertThat(host.started).as("run refused before starting anything").isEmpty();
            List<String> problems = check.stderr().lines().toList();
            assertThat(run.stderr().lines().toList()).as("the same problems, then run's last line")
                    .isEqualTo(concat(problems, "culvert: not started: " + file + " has " + problems.size()
                            + " problem" + (problems.size() == 1 ? "" : "s")));
        }
    }

    /** Issue 11: an included file that overrides a tunnel is accepted, and check-config says what it overrode. */
    @org.junit.jupiter.api.Test
    void checkConfigSaysWhatAnIncludedFileOverrides() throws Exception {
        String text = base().replace("%PEER%", peerKey) + "include \"local.conf\"\n";
        write(dir.resolve("local.conf"), "culvert.tunnels.t1.peer.allowed-ips = [\"198.18.0.3/32\"]\n");
        Path file = Files.writeString(dir.resolve("culvert.conf"), text);

        Outcome check = execute(new CheckConfigCommand(), file.toString());

        assertThat(check.exitCode()).as("stderr:%n%s", check.stderr()).isZero();
        assertThat(check.stdout()).contains("note: tunnel 't1': settings at " + dir.resolve("local.conf") + ":1 override "
                + file + ":" + (text.lines().toList().indexOf("    t1 {") + 1) + " (peer.allowed-ips)");
    }

    /** Issue 12: check-config says a vtun-legacy tunnel is insecure, and warns of a chained cipher over UDP. */
    @org.junit.jupiter.api.Test
    void checkConfigSaysALegacyTunnelIsInsecure() throws Exception {
        Path password = Files.writeString(dir.resolve("l1.vtun-password"), "secret\n");
        Files.setPosixFilePermissions(password, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        String text = base().replace("%PEER%", peerKey).replace("    # more tunnels", """
                    l1 {
                      transport = vtun-legacy
                      device { name = cv-l1, address = "198.18.0.5/30" }
                      legacy { password-file = l1.vtun-password, proto = udp, encrypt = aes128cbc }
                    }
                    l2 {
                      transport = vtun-legacy
                      device { name = cv-l2, address = "198.18.0.9/30" }
                      legacy { session = l1x, password-file = l1.vtun-password, proto = udp, encrypt = aes128ecb }
                    }""").replace("control.socket = a.sock", "control.socket = a.sock\n  listen.vtun-legacy = \"192.0.2.1:5000\"");
        Path file = Files.writeString(dir.resolve("culvert.conf"), text);

        Outcome check = execute(new CheckConfigCommand(), file.toString());

        assertThat(check.exitCode()).as("stderr:%n%s", check.stderr()).isZero();
        assertThat(check.stdout()).contains("note: tunnel 'l1' uses transport vtun-legacy, which is INSECURE")
                .contains("note: tunnel 'l2' uses transport vtun-legacy, which is INSECURE")
                .contains("note: tunnel 'l1': legacy.encrypt = aes128cbc over udp")
                .doesNotContain("note: tunnel 'l2': legacy.encrypt")
                .doesNotContain("note: tunnel 't1'");
    }

    record Outcome(int exitCode, String stdout, String stderr) {}

    /** Runs one command as the command line does, capturing what it prints. */
    private static Outcome execute(Object command, String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int exitCode;
        try {
            System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
            exitCode = new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new Outcome(exitCode, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
    }

    /** Starts on the twin host; SIGTERM arrives as soon as the daemon is up (when run listens for SIGHUP). */
    private static final class FakeHost implements RunCommand.Host {
        final List<CulvertConfig> started = new ArrayList<>();
        private Runnable terminate;

        @Override
        public Daemon start(CulvertConfig config) throws IOException {
            Daemon daemon = Daemon.start(config, TwinHosts.at(UNDERLAY));
            started.add(config);
            return daemon;
        }

        @Override
        public void onTerminate(Runnable action) {
            terminate = action;
        }

        @Override
        public boolean onReload(Runnable action) {
            terminate.run();
            return true;
        }
    }

    private static List<String> concat(List<String> lines, String last) {
        List<String> all = new ArrayList<>(lines);
        all.add(last);
        return all;
    }

    private static String replaceOnce(String text, String from, String to) {
        assertThat(text).contains(from);
        return text.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to));
    }

    private static void writeSecret(Path file, String content) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content);
    }

    private static void delete(Path file) {
        try {
            Files.delete(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void chmod(Path file, String mode) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void write(Path file, String content) {
        try {
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
