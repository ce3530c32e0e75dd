package dev.culvert.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import dev.culvert.config.CulvertConfig;
import dev.culvert.config.HookCommand;
import dev.culvert.config.TunnelConfig;
import dev.culvert.crypto.Keys;
import dev.culvert.crypto.X25519;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code culvert import-vtund} end to end in one JVM: the files it writes, what it prints, its exit codes, and that
 * the modern config passes the very checks of {@code culvert check-config} ({@link ConfigCheck}). Against configs
 * written for the test and against the examples in Debian's vtun package (/usr/share/doc/vtun/examples).
 */
class ImportVtundCommandTest {
    static final Path EXAMPLES = Path.of("/usr/share/doc/vtun/examples");

    record Outcome(int exit, String out, String err) {}

    static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine line = Main.commandLine();
        line.setOut(new PrintWriter(out, true));
        line.setErr(new PrintWriter(err, true));
        int exit = line.execute(args);
        return new Outcome(exit, out.toString(), err.toString());
    }

    static String newPublicKey() {
        return Keys.encode(X25519.publicKey(X25519.generatePrivateKey(new SecureRandom())));
    }

    static ConfigCheck.Result check(Path conf) {
        return ConfigCheck.check(conf);
    }

    /** The example files, the compressed one unpacked into {@code dir}; fails under CI=true without the package. */
    static List<Path> debianExamples(Path dir) throws IOException {
        if (!Files.isDirectory(EXAMPLES)) {
            assumeTrue(!"true".equalsIgnoreCase(System.getenv("CI")), "CI=true: Debian's vtun package (with its "
                    + "docs: no dpkg path-exclude for /usr/share/doc) is required");
            assumeTrue(false, "Debian's vtun package is not installed (apt-get install vtun)");
        }
        List<Path> files = new ArrayList<>();
        try (var list = Files.list(EXAMPLES)) {
            for (Path p : list.sorted().toList()) {
                String name = p.getFileName().toString();
                if (name.endsWith(".conf")) {
                    files.add(p);
                } else if (name.endsWith(".conf.gz")) {
                    Path unpacked = dir.resolve(name.substring(0, name.length() - 3));
                    try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
                        Files.copy(in, unpacked);
                    }
                    files.add(unpacked);
                }
            }
        }
        assertThat(files).extracting(p -> p.getFileName().toString()).contains("vtund-server.conf",
                "vtund-client.conf", "vtund.conf");
        return files;
    }

    @Test
    void everyDebianExampleImportsInBothModesAndTheModernOnePassesCheckConfig(@TempDir Path dir) throws IOException {
        for (Path example : debianExamples(dir)) {
            String name = example.getFileName().toString();
            boolean client = name.contains("client");
            for (boolean legacy : new boolean[] {false, true}) {
                Path out = Files.createDirectory(dir.resolve(name + (legacy ? ".legacy" : ".modern")));
                List<String> args = new ArrayList<>(List.of("import-vtund", example.toString(), "--out",
                        out.toString()));
                if (client) {
                    args.addAll(List.of("--server", "192.0.2.1"));
                } else {
                    args.addAll(List.of("--role", "server"));
                }
                if (legacy) {
                    args.add("--legacy");
                } else {
                    // the peer keys, as the peers would print them: one per tunnel (cobra and lion in every example
                    // but the IPv6 ones)
                    for (String session : List.of("cobra", "lion", "big-buck-bunny", "big-buck-bunny-ipv6")) {
                        if (Files.readString(example).contains("\n" + session + " {")) {
                            args.addAll(List.of("--peer-key", session + "=" + newPublicKey()));
                        }
                    }
                }
                Outcome o = run(args.toArray(String[]::new));
                assertThat(o.exit()).as("%s %s: %s", name, legacy, o.err()).isZero();
                String stem = name.substring(0, name.length() - 5);
                // one config for the site; a modern client with several sessions: one per session (own key)
                List<Path> confs;
                try (var list = Files.list(out)) {
                    confs = list.filter(p -> p.toString().endsWith(".conf")).sorted().toList();
                }
                if (legacy || !client) {
                    assertThat(confs).containsExactly(out.resolve(stem + ".conf"));
                } else if (name.contains("ipv6")) {
                    assertThat(confs).containsExactly(out.resolve("big-buck-bunny-ipv6.conf"),
                            out.resolve("big-buck-bunny.conf"));
                } else {
                    assertThat(confs).containsExactly(out.resolve("cobra.conf"), out.resolve("lion.conf"));
                }
                for (Path conf : confs) {
                    Path key = out.resolve(conf.getFileName().toString().replaceFirst("\\.conf$", ".key"));
                    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
                            .isEqualTo("rw-------");
                    // the config is HOCON; the checks every config passes
                    Config parsed = ConfigFactory.parseFile(conf.toFile(), ConfigParseOptions.defaults()
                            .setAllowMissing(false));
                    assertThat(parsed.getObject("culvert.tunnels").keySet()).isNotEmpty();
                    ConfigCheck.Result result = check(conf);
                    assertThat(result.problems()).as("%s:\n%s", name, Files.readString(conf)).isEmpty();
                    if (legacy) {
                        assertLegacySchema(parsed, out, Files.readString(example), o.out());
                    }
                }
                // nothing dropped silently: the session types Culvert has no device for are named
                if (Files.readString(example).contains("\nsz {")) {
                    assertThat(o.out()).contains(": viper: session viper (type tty", ": sz: session sz (type",
                            ": backup: session backup (type");
                }
            }
        }
    }

    /** What the vtun-legacy output holds beyond passing check-config: the password kept out of config and output. */
    private static void assertLegacySchema(Config parsed, Path out, String vtundConf, String printed)
            throws IOException {
        for (String tunnel : parsed.getObject("culvert.tunnels").keySet()) {
            Config t = parsed.getConfig("culvert.tunnels").getConfig(ConfigUtilQuote.quote(tunnel));
            assertThat(t.getString("transport")).isEqualTo("vtun-legacy");
            assertThat(t.getString("device.mode")).isIn("tun", "tap");
            assertThat(t.hasPath("peer.public-key")).isFalse();
            String session = t.getString("legacy.session");
            Path passwordFile = out.resolve(t.getString("legacy.password-file"));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile)))
                    .isEqualTo("rw-------");
            String password = Files.readString(passwordFile);
            assertThat(vtundConf).containsPattern("passwd\\s+" + java.util.regex.Pattern.quote(password) + ";");
            assertThat(Files.readString(out.resolve(out.getFileName().toString().replaceFirst("\\..*", "")
                    + ".conf"))).doesNotContain(password);
            assertThat(printed).doesNotContain(password);
            assertThat(session).isNotEmpty();
            if (t.hasPath("legacy.proto")) {
                assertThat(t.getString("legacy.proto")).isIn("tcp", "udp");
            }
            if (t.hasPath("legacy.encrypt")) {
                assertThat(t.getString("legacy.encrypt")).isIn("no", "blowfish128ecb", "oldblowfish128ecb",
                        "aes128ecb", "aes128cbc", "aes128cfb", "aes128ofb", "aes256ecb", "aes256cbc", "aes256cfb",
                        "aes256ofb");
            }
            if (t.hasPath("legacy.compress")) {
                assertThat(t.getString("legacy.compress")).matches("no|lzo:[0-9]+|zlib:[0-9]+");
            }
            if (t.hasPath("legacy.keepalive")) {
                assertThat(t.getString("legacy.keepalive")).matches("yes|no|[0-9]+:[0-9]+");
            }
        }
        if (parsed.hasPath("culvert.listen.vtun-legacy")) {
            assertThat(parsed.getString("culvert.listen.vtun-legacy")).matches(".*:[0-9]+");
        }
    }

    /** Typesafe Config's own quoting of a path element. */
    private static final class ConfigUtilQuote {
        static String quote(String key) {
            return com.typesafe.config.ConfigUtil.joinPath(key);
        }
    }

    @Test
    void debiansServerExampleMapsAsTheReadmeSays(@TempDir Path dir) throws IOException {
        Path debian = debianExamples(dir).stream().filter(p -> p.getFileName().toString().equals("vtund-server.conf"))
                .findFirst().orElseThrow();
        // Debian's file line for line, its 10.N.0.H addresses moved to 198.18.N.H (the project uses no private range)
        Path server = Files.createDirectories(dir.resolve("debian")).resolve("vtund-server.conf");
        Files.writeString(server, Files.readString(debian).replaceAll("(?<![0-9.])10\\.(\\d+)\\.0\\.(\\d+)",
                "198.18.$1.$2"));
        String cobraKey = newPublicKey();
        String lionKey = newPublicKey();
        Outcome o = run("import-vtund", server.toString(), "--out", dir.toString(), "--peer-key", "cobra=" + cobraKey,
                "--peer-key", "lion=" + lionKey);
        assertThat(o.exit()).as(o.err()).isZero();
        // told from the file: bindaddr is a server's
        assertThat(o.out()).contains("as a server (options has bindaddr (line 5)");
        CulvertConfig c = check(dir.resolve("vtund-server.conf")).config();
        assertThat(c.listenUdp()).isPresent();
        TunnelConfig cobra = c.tunnels().get("cobra");
        assertThat(cobra.device().address().orElseThrow()).hasToString("198.18.3.1/32");
        assertThat(cobra.device().routes()).extracting(Object::toString).containsExactly("198.18.3.2/32");
        assertThat(cobra.device().mtu()).isEqualTo(1450);
        assertThat(cobra.up()).isEmpty(); // the ifconfig line became device settings
        assertThat(cobra.peer().publicKey()).isEqualTo(cobraKey);
        assertThat(cobra.persistentKeepalive()).hasSeconds(30);
        TunnelConfig lion = c.tunnels().get("lion");
        assertThat(lion.device().name()).isEqualTo("tap0");
        assertThat(lion.device().address().orElseThrow()).hasToString("198.18.1.1/24");
        // the route with a gateway stays a hook (where route(8) is installed) or is listed
        if (Files.isExecutable(Path.of("/sbin/route"))) {
            assertThat(lion.up()).containsExactly("/sbin/route add -net 198.18.2.0 netmask 255.255.255.0 gw 198.18.1.2");
        } else {
            assertThat(o.out()).contains(":78: lion: up route");
        }
        assertThat(o.out()).contains(":68: lion: stat yes — ", ":81: lion: up firewall ", "ipchains",
                ":96: viper: session viper (type tty, vtund's default)", ":42: cobra: session cobra (again) — vtund "
                        + "uses the first one, line 25", ":29: cobra: compress lzo:9 — Culvert has no LZO");
        assertThat(o.out()).contains("This site's public key: " + Keys.encode(X25519.publicKey(Keys.parse(
                Files.readString(dir.resolve("vtund-server.key")).strip()))));
    }

    private static Path example(Path dir, String name) throws IOException {
        Path unpacked = Files.createDirectories(dir.resolve("examples"));
        if (!Files.exists(unpacked.resolve("vtund.conf"))) {
            debianExamples(unpacked);
        }
        return EXAMPLES.resolve(name);
    }

    private static String group(String regex, String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("%s in:\n%s", regex, text).isTrue();
        return m.group(1);
    }

    private static String publicKeyOf(Path keyFile) throws IOException {
        return Keys.encode(X25519.publicKey(Keys.parse(Files.readString(keyFile).strip())));
    }

    /**
     * Debian's pair has two sessions between the same two sites (cobra: tun, lion: ether). A peer's key belongs to
     * one tunnel and the private key is the daemon's, so the modern client writes one config per session, each
     * with its own key and metrics port, and each server tunnel expects a different client key — following the
     * printed steps, every file passes check-config.
     */
    @Test
    void debiansTwoSessionPairImportsModernIntoConfigsThatPassCheckConfig(@TempDir Path dir) throws IOException {
        Path serverDir = Files.createDirectory(dir.resolve("server"));
        Path clientDir = Files.createDirectory(dir.resolve("client"));
        Outcome s = run("import-vtund", example(dir, "vtund-server.conf").toString(), "--out", serverDir.toString());
        assertThat(s.exit()).as(s.err()).isZero();
        String serverKey = group("This site's public key: (\\S+)", s.out());
        // the server's file says each session's type and proto: the client's command line it prints carries them
        assertThat(s.out()).contains("--server THIS_HOST --type cobra=tun --type lion=ether --proto udp --peer-key "
                + serverKey, "one config, with its own key, per session", "Each tunnel takes a different key");
        // the client: the server's one key for every session; the type and proto as the server printed them
        Outcome c = run("import-vtund", example(dir, "vtund-client.conf").toString(), "--server", "192.0.2.1",
                "--type", "cobra=tun", "--type", "lion=ether", "--proto", "udp", "--peer-key", serverKey, "--out",
                clientDir.toString());
        assertThat(c.exit()).as(c.err()).isZero();
        String cobraKey = group("\n  cobra: (\\S+)", c.out());
        String lionKey = group("\n  lion: (\\S+)", c.out());
        assertThat(cobraKey).isNotEqualTo(lionKey);
        assertThat(cobraKey).isEqualTo(publicKeyOf(clientDir.resolve("cobra.key")));
        assertThat(lionKey).isEqualTo(publicKeyOf(clientDir.resolve("lion.key")));
        assertThat(c.out()).contains("--peer-key cobra=" + cobraKey + " --peer-key lion=" + lionKey,
                "systemctl enable --now culvert@cobra culvert@lion");
        List<Integer> ports = new ArrayList<>();
        for (String tunnel : List.of("cobra", "lion")) {
            ConfigCheck.Result r = check(clientDir.resolve(tunnel + ".conf"));
            assertThat(r.problems()).as(tunnel).isEmpty();
            assertThat(r.config().tunnels().keySet()).containsExactly(tunnel);
            assertThat(r.config().tunnels().get(tunnel).peer().publicKey()).isEqualTo(serverKey);
            ports.add(r.config().metricsBind().orElseThrow().getPort());
        }
        assertThat(ports).doesNotHaveDuplicates();
        // the server: each client key at the line its import printed
        Path serverConf = serverDir.resolve("vtund-server.conf");
        List<String> lines = new ArrayList<>(Files.readAllLines(serverConf));
        for (String[] tk : List.of(new String[] {"cobra", cobraKey}, new String[] {"lion", lionKey})) {
            int at = Integer.parseInt(group("tunnel " + tk[0] + ", line (\\d+)", s.out()));
            assertThat(lines.get(at - 1).strip()).isEqualTo("# public-key = \"CLIENT-KEY-FOR-" + tk[0] + "\"");
            lines.set(at - 1, "public-key = \"" + tk[1] + "\"");
        }
        Files.write(serverConf, lines);
        ConfigCheck.Result r = check(serverConf);
        assertThat(r.problems()).isEmpty();
        assertThat(r.config().tunnels().get("cobra").peer().publicKey()).isEqualTo(cobraKey);
        assertThat(r.config().tunnels().get("lion").peer().publicKey()).isEqualTo(lionKey);
        // what failed before: one key for both of the server's tunnels is refused up front, nothing written
        Path again = Files.createDirectory(dir.resolve("again"));
        Outcome same = run("import-vtund", example(dir, "vtund-server.conf").toString(), "--out", again.toString(),
                "--peer-key", "cobra=" + cobraKey, "--peer-key", "lion=" + cobraKey);
        assertThat(same.exit()).isEqualTo(ExitStatus.USAGE);
        assertThat(same.err()).contains("a peer's key belongs to one tunnel");
        assertThat(again).isEmptyDirectory();
    }

    @Test
    void aClientWithoutPeerKeySaysWhereItGoesAndCheckConfigNamesOnlyThat(@TempDir Path dir) throws IOException {
        Path client = debianExamples(dir).stream().filter(p -> p.getFileName().toString().equals("vtund-client.conf"))
                .findFirst().orElseThrow();
        Outcome o = run("import-vtund", client.toString(), "--session", "cobra", "--server", "vpn.example.org",
                "--proto", "udp", "--out", dir.toString());
        assertThat(o.exit()).as(o.err()).isZero();
        Path conf = dir.resolve("cobra.conf");
        List<String> lines = Files.readAllLines(conf);
        int at = Integer.parseInt(o.out().replaceAll("(?s).*tunnel cobra, line (\\d+).*", "$1"));
        assertThat(lines.get(at - 1).strip()).isEqualTo("# public-key = \"SERVER-KEY\"");
        assertThat(check(conf).problems()).singleElement().asString().contains("cobra.peer.public-key");
        // following the printed step makes it pass
        String peer = newPublicKey();
        lines.set(at - 1, "public-key = \"" + peer + "\"");
        Files.write(conf, lines);
        ConfigCheck.Result r = check(conf);
        assertThat(r.problems()).isEmpty();
        TunnelConfig cobra = r.config().tunnels().get("cobra");
        assertThat(cobra.peer().endpoint().orElseThrow()).hasToString("vpn.example.org:5000");
        assertThat(cobra.device().name()).isEqualTo("tun1");
        assertThat(cobra.persist()).isTrue(); // persist yes
        assertThat(o.out()).contains("as a client (--server was given)", "cobra: type tun — the file does not say",
                "device tun1 is a tun", "proto udp — --proto");
    }

    @Test
    void hooksGetVtundsArgvWithCulvertsPlaceholders(@TempDir Path dir) throws IOException {
        Path vtund = Files.createDirectory(dir.resolve("in")).resolve("vtund.conf");
        Files.writeString(vtund, """
                options { port 5555; bindaddr { addr 192.0.2.7; }; }
                Tun-1 {
                  passwd secret; type tun; proto tcp; multi killold; device tun9;
                  up {
                    program /bin/echo "%% %d %h %A %P 'two words' a\\ b\\'c 100%x \\%d" wait;
                    program "echo %d >/dev/null; echo 'sh text'";
                    ip "-6 addr add 2001:db8::1/64 dev %%";
                    ip "route add 198.51.100.0/24 dev %%";
                    ip "link set %% up mtu 1400";
                  };
                  down { program /bin/echo "%a";
                         ip "link set %d down"; };
                }
                """);
        Outcome o = run("import-vtund", vtund.toString(), "--out", dir.toString(), "--peer-key", newPublicKey(),
                "--session", "Tun-1");
        assertThat(o.exit()).as(o.err()).isZero();
        ConfigCheck.Result r = check(dir.resolve("tun-1.conf"));
        assertThat(r.problems()).isEmpty();
        TunnelConfig t = r.config().tunnels().get("tun-1");
        assertThat(r.config().listenTcp().orElseThrow().getAddress().getHostAddress()).isEqualTo("192.0.2.7");
        assertThat(r.config().listenTcp().orElseThrow().getPort()).isEqualTo(5555);
        // vtund: subst_opt (%% %d: device, %h: session, %A/%P: local address/port, unknown %x: the '%' goes,
        // \% stays literal), then split_args (spaces, '...' groups, \ escapes)
        assertThat(t.up()).hasSize(2);
        assertThat(HookCommand.split(t.up().get(0))).containsExactly("/bin/echo", "%dev%", "%dev%", "Tun-1",
                "192.0.2.7", "5555", "two words", "a b'c", "100x", "%d");
        assertThat(HookCommand.split(t.up().get(1))).containsExactly("/bin/sh", "-c",
                "echo %dev% >/dev/null; echo 'sh text'");
        assertThat(t.device().address().orElseThrow()).hasToString("2001:db8::1/64");
        assertThat(t.device().routes()).extracting(Object::toString).containsExactly("198.51.100.0/24");
        assertThat(t.device().mtu()).isEqualTo(1400);
        // %a on a server has no value when up/down hooks run: kept as a comment and listed
        assertThat(t.down()).isEmpty();
        assertThat(o.out()).contains(":11: Tun-1: down program /bin/echo \"%a\" — %a (the client's address)");
        assertThat(Files.readString(dir.resolve("tun-1.conf"))).contains("# not carried over (see above): /bin/echo %a");
        assertThat(o.out()).contains("tunnel name tun-1 — Culvert's names are lower case");
    }

    @Test
    void nothingIsOverwritten(@TempDir Path dir) throws IOException {
        Path vtund = Files.createDirectory(dir.resolve("in")).resolve("v.conf");
        Files.writeString(vtund, "options { bindaddr { addr 192.0.2.1; }; }\ns { passwd p; type tun; }\n");
        assertThat(run("import-vtund", vtund.toString(), "--out", dir.toString(), "--legacy").exit()).isZero();
        byte[] key = Files.readAllBytes(dir.resolve("v.key"));
        byte[] conf = Files.readAllBytes(dir.resolve("v.conf"));
        Outcome again = run("import-vtund", vtund.toString(), "--out", dir.toString(), "--legacy");
        assertThat(again.exit()).isEqualTo(ImportVtundCommand.CANT_CREATE);
        assertThat(again.err()).contains("refusing to overwrite", "v.key", "nothing written");
        assertThat(Files.readAllBytes(dir.resolve("v.key"))).isEqualTo(key);
        assertThat(Files.readAllBytes(dir.resolve("v.conf"))).isEqualTo(conf);
        assertThat(Files.readString(dir.resolve("s.vtun-password"))).isEqualTo("p");
    }

    /** Both ends of Debian's pair imported with --legacy into one folder: the refusal's --name SITE works. */
    @Test
    void theRefusalsNameSiteRenamesThePasswordFilesToo(@TempDir Path dir) throws IOException {
        Path out = Files.createDirectory(dir.resolve("out"));
        Outcome s = run("import-vtund", example(dir, "vtund-server.conf").toString(), "--legacy", "--role", "server",
                "--out", out.toString());
        assertThat(s.exit()).as(s.err()).isZero();
        Outcome c = run("import-vtund", example(dir, "vtund-client.conf").toString(), "--legacy", "--server",
                "192.0.2.1", "--out", out.toString());
        assertThat(c.exit()).isEqualTo(ImportVtundCommand.CANT_CREATE);
        assertThat(c.err()).contains("cobra.vtun-password", "--name SITE");
        c = run("import-vtund", example(dir, "vtund-client.conf").toString(), "--legacy", "--server", "192.0.2.1",
                "--out", out.toString(), "--name", "client");
        assertThat(c.exit()).as(c.err()).isZero();
        assertThat(out.resolve("client-cobra.vtun-password")).exists();
        assertThat(out.resolve("client-lion.vtun-password")).exists();
        assertThat(c.out()).contains("client-cobra.vtun-password, client-lion.vtun-password");
        for (String conf : List.of("vtund-server.conf", "client.conf")) {
            assertThat(check(out.resolve(conf)).problems()).as(conf).isEmpty();
        }
        Config client = ConfigFactory.parseFile(out.resolve("client.conf").toFile());
        assertThat(client.getString("culvert.tunnels.lion.legacy.password-file")).isEqualTo("client-lion.vtun-password");
        assertThat(Files.readString(out.resolve("cobra.vtun-password"))).isEqualTo("Ma&^TU"); // the server's, kept
    }

    @Test
    void exitCodes(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.conf");
        Files.writeString(bad, "options { port 5000; }\ns {\n  passwd p;\n  comp lzo:9;\n}\n");
        Outcome o = run("import-vtund", bad.toString(), "--out", dir.toString(), "--role", "server");
        assertThat(o.exit()).isEqualTo(ExitStatus.CONFIG);
        assertThat(o.err()).startsWith(bad + ":4: Unknown option 'comp'");

        Path neutral = dir.resolve("n.conf");
        Files.writeString(neutral, "s { passwd p; type tun; }\n");
        o = run("import-vtund", neutral.toString(), "--out", dir.toString());
        assertThat(o.exit()).isEqualTo(ExitStatus.USAGE);
        assertThat(o.err()).contains("give --role server, or --role client with --server HOST");

        o = run("import-vtund", neutral.toString(), "--out", dir.toString(), "--role", "client");
        assertThat(o.exit()).isEqualTo(ExitStatus.USAGE);
        assertThat(o.err()).contains("--server HOST");

        o = run("import-vtund", neutral.toString(), "--out", dir.toString(), "--session", "nosuch", "--role", "server");
        assertThat(o.exit()).isEqualTo(ExitStatus.CONFIG);
        assertThat(o.err()).contains("no session nosuch (sessions: s)");

        Path tty = dir.resolve("tty.conf");
        Files.writeString(tty, "s { passwd p; }\n");
        o = run("import-vtund", tty.toString(), "--out", dir.toString(), "--role", "server");
        assertThat(o.exit()).isEqualTo(ExitStatus.CONFIG);
        assertThat(o.err()).contains("no session can be carried over", "type tty");
        assertThat(Arrays.stream(dir.toFile().list()).filter(f -> f.endsWith(".key"))).isEmpty();

        o = run("import-vtund", dir.resolve("missing.conf").toString(), "--role", "server");
        assertThat(o.exit()).isEqualTo(ExitStatus.CONFIG);
        assertThat(o.err()).contains("cannot read");
    }

    @Test
    void legacyKeepsWhatTheVtundPeerNeedsAndRefusesBrokenCiphers(@TempDir Path dir) throws IOException {
        Path vtund = Files.createDirectory(dir.resolve("in")).resolve("srv.conf");
        Files.writeString(vtund, """
                options { type stand; port 5001; }
                ok { passwd Ma&^TU; type ether; proto udp; encrypt aes128cbc; compress lzo:9; keepalive 10:3; }
                cbc { passwd p2; type tun; encrypt blowfish128cbc; }
                zl { passwd p3; type tun; proto udp; compress zlib:9; }
                """);
        Outcome o = run("import-vtund", vtund.toString(), "--out", dir.toString(), "--legacy");
        assertThat(o.exit()).as(o.err()).isZero();
        Config c = ConfigFactory.parseFile(dir.resolve("srv.conf").toFile());
        assertThat(c.getString("culvert.listen.vtun-legacy")).isEqualTo("0.0.0.0:5001");
        Config ok = c.getConfig("culvert.tunnels.ok");
        assertThat(ok.getString("transport")).isEqualTo("vtun-legacy");
        assertThat(ok.getString("device.mode")).isEqualTo("tap");
        assertThat(ok.getString("legacy.session")).isEqualTo("ok");
        assertThat(ok.getString("legacy.password-file")).isEqualTo("ok.vtun-password");
        assertThat(ok.getString("legacy.proto")).isEqualTo("udp");
        assertThat(ok.getString("legacy.encrypt")).isEqualTo("aes128cbc");
        assertThat(ok.getString("legacy.compress")).isEqualTo("lzo:9");
        assertThat(ok.getString("legacy.keepalive")).isEqualTo("10:3");
        assertThat(Files.readString(dir.resolve("ok.vtun-password"))).isEqualTo("Ma&^TU");
        assertThat(c.hasPath("culvert.tunnels.cbc")).isFalse();
        assertThat(o.out()).contains(":3: cbc: session cbc (encrypt blowfish128cbc) — vtund's Blowfish CBC/CFB/OFB "
                + "corrupt");
        assertThat(c.getString("culvert.tunnels.zl.legacy.compress")).isEqualTo("no");
        assertThat(o.out()).contains(":4: zl: compress zlib:9 over udp — ");
        assertThat(o.out()).doesNotContain("Ma&^TU", "p3");
    }

    @Test
    void aLegacyClientDialsTheServerAndStatesOnlyWhatItsFileSays(@TempDir Path dir) throws IOException {
        Path vtund = Files.createDirectory(dir.resolve("in")).resolve("vtund.conf");
        Files.writeString(vtund, """
                options { port 5002; }
                cobra { passwd Ma&^TU; device tun1; persist keep; encrypt aes256ecb;
                  up { ip "link set %% up mtu 1400"; };
                }
                """);
        Outcome o = run("import-vtund", vtund.toString(), "--out", dir.toString(), "--legacy", "--server",
                "2001:db8::7");
        assertThat(o.exit()).as(o.err()).isZero();
        // told by --server; persist is a client's word too
        assertThat(o.out()).contains("as a client (--server was given)");
        Config c = ConfigFactory.parseFile(dir.resolve("vtund.conf").toFile());
        assertThat(c.hasPath("culvert.listen")).isFalse();
        Config t = c.getConfig("culvert.tunnels.cobra");
        assertThat(t.getString("peer.endpoint")).isEqualTo("[2001:db8::7]:5002");
        assertThat(t.getString("legacy.encrypt")).isEqualTo("aes256ecb");
        // the server decides proto, compression and keepalive in vtund: not written when the client's file is silent
        assertThat(t.hasPath("legacy.proto")).isFalse();
        assertThat(t.hasPath("legacy.compress")).isFalse();
        assertThat(t.hasPath("legacy.keepalive")).isFalse();
        assertThat(t.getInt("device.mtu")).isEqualTo(1400);
        // the server decides proto (its FLAGS): nothing to give, and the output does not ask for --proto
        assertThat(o.out()).contains("cobra: proto (not in the file) — legacy.proto left out: the server decides it")
                .doesNotContain("--proto");
        assertThat(o.out()).contains(":2: cobra: encrypt aes256ecb — legacy.encrypt = aes256ecb",
                "cobra: persist keep — a vtun-legacy client redials 5 s");
    }

    /** Debian's examples in --legacy mode: what the printed report says matches what is written (findings 8-11). */
    @Test
    void theLegacyReportSaysWhatIsWritten(@TempDir Path dir) throws IOException {
        Path out = Files.createDirectory(dir.resolve("server"));
        Outcome s = run("import-vtund", example(dir, "vtund-server.conf").toString(), "--legacy", "--role", "server",
                "--out", out.toString());
        assertThat(s.exit()).as(s.err()).isZero();
        // bindaddr { iface lo; }: loopback only, as vtund
        Config c = ConfigFactory.parseFile(out.resolve("vtund-server.conf").toFile());
        assertThat(c.getString("culvert.listen.vtun-legacy")).isEqualTo("127.0.0.1:5000");
        assertThat(s.out()).contains(":5: bindaddr { iface lo; } — listens on 127.0.0.1");
        // carried over: what the legacy block holds, and the default section's speed 0
        assertThat(s.out()).contains(":28: cobra: proto udp — legacy.proto = udp",
                ":29: cobra: compress lzo:9 — legacy.compress = \"lzo:9\"",
                ":30: cobra: encrypt blowfish128ecb — legacy.encrypt = blowfish128ecb",
                ":31: cobra: keepalive 30:4 — legacy.keepalive = \"30:4\" (vtund's yes",
                "cobra: speed 0 (default section) — no shaping");
        assertThat(c.getString("culvert.tunnels.cobra.legacy.keepalive")).isEqualTo("30:4");
        // the stale note of the first round is gone
        assertThat(s.out()).doesNotContain("legacy transport)", "WireGuard");
        Path client = Files.createDirectory(dir.resolve("client"));
        Outcome k = run("import-vtund", example(dir, "vtund-client.conf").toString(), "--legacy", "--server",
                "192.0.2.1", "--out", client.toString());
        assertThat(k.exit()).as(k.err()).isZero();
        assertThat(k.out()).contains(":5: timeout 60 — a vtun-legacy client redials 5 s").doesNotContain("WireGuard",
                "--proto udp");
        // IPv6 example: the device name used is the one printed; addresses in RFC 5952 form
        Path v6 = Files.createDirectory(dir.resolve("v6"));
        Outcome v = run("import-vtund", example(dir, "vtund-ipv6-server.conf").toString(), "--legacy", "--role",
                "server", "--out", v6.toString());
        assertThat(v.exit()).as(v.err()).isZero();
        assertThat(v.out()).contains("big-buck-bunny-ipv6: device.name = cv-big-buck-b-2",
                "device.address = fc00:170:0:6a::1/112").doesNotContain("cv-big-buck-bunny", ":0:0:0:");
    }

    @Test
    void theRoleIsToldFromTheFileAndSaid(@TempDir Path dir) throws IOException {
        Path vtund = Files.createDirectory(dir.resolve("in")).resolve("c.conf");
        Files.writeString(vtund, "s { passwd p; type tun; persist yes; }\n");
        Outcome o = run("import-vtund", vtund.toString(), "--out", dir.toString());
        assertThat(o.exit()).isEqualTo(ExitStatus.USAGE); // a client, but whose server?
        assertThat(o.err()).contains("--server HOST");
        Path both = Files.createDirectory(dir.resolve("in2")).resolve("b.conf");
        Files.writeString(both, "s { passwd p; type tun; persist yes; multi killold; }\n");
        o = run("import-vtund", both.toString(), "--out", dir.toString());
        assertThat(o.exit()).isEqualTo(ExitStatus.USAGE);
        assertThat(o.err()).contains("session s has multi (line 1) but session s has persist (line 1)");
    }

    /**
     * A client's vtund.conf as a new user had it: a tun/udp session and an ether/tcp one to the same server (the
     * server's file says which; the client's does not), with a tty session between them.
     */
    private static Path mixedClient(Path dir) throws IOException {
        Path vtund = Files.createDirectories(dir.resolve("in")).resolve("client-vtund.conf");
        Files.writeString(vtund, """
                options { port 5000; timeout 60; }
                nu2tun {
                  passwd secret1; device tun5; persist yes;
                  up { ip "-family inet addr add 198.18.10.2 peer 198.18.10.1 dev %%"; };
                }
                viper { passwd secret3; up { ppp "noipdefault"; }; }
                nu2eth {
                  passwd secret2; persist yes;
                  up { ifconfig "%% 198.18.11.2 netmask 255.255.255.0"; };
                }
                """);
        return vtund;
    }

    @Test
    void typeAndProtoTakeSessionEqualsValueSoAMixedPairImportsInOneRun(@TempDir Path dir) throws IOException {
        Path vtund = mixedClient(dir);
        String serverKey = newPublicKey();
        List<List<String>> spellings = List.of(
                List.of("--type", "nu2eth=ether", "--proto", "nu2tun=udp", "--proto", "nu2eth=tcp"),
                // a bare value for every session without its own
                List.of("--type", "tun", "--type", "nu2eth=ether", "--proto", "nu2tun=udp", "--proto", "tcp"));
        for (List<String> spelling : spellings) {
            Path out = Files.createDirectory(dir.resolve("out" + spellings.indexOf(spelling)));
            List<String> args = new ArrayList<>(List.of("import-vtund", vtund.toString(), "--server", "192.0.2.1",
                    "--peer-key", serverKey, "--out", out.toString()));
            args.addAll(spelling);
            Outcome o = run(args.toArray(String[]::new));
            assertThat(o.exit()).as(o.err()).isZero();
            for (String[] expected : List.of(new String[] {"nu2tun", "udp", "tun"},
                    new String[] {"nu2eth", "tcp", "tap"})) {
                Path conf = out.resolve(expected[0] + ".conf");
                assertThat(check(conf).problems()).as("%s", spelling).isEmpty();
                Config tunnel = ConfigFactory.parseFile(conf.toFile()).getConfig("culvert.tunnels." + expected[0]);
                assertThat(tunnel.getString("transport")).as("%s %s", expected[0], spelling).isEqualTo(expected[1]);
                assertThat(tunnel.getString("device.mode")).as("%s %s", expected[0], spelling)
                        .isEqualTo(expected[2]);
            }
            assertThat(o.out()).contains("nu2eth: type ether — --type nu2eth=", "nu2tun: proto udp — --proto nu2tun=");
        }
        // refusals, as --peer-key's: nothing written
        Path out = Files.createDirectory(dir.resolve("refused"));
        for (List<String> bad : List.of(
                List.of("--type", "nu2eth=tap", "takes tun or ether, or SESSION=tun|ether for one session, not "
                        + "nu2eth=tap"),
                List.of("--proto", "sctp", "--proto takes tcp or udp"),
                List.of("--type", "nosuch=ether", "--type nosuch=ether: no such session imported (imported: nu2tun, "
                        + "nu2eth)"),
                List.of("--session", "nu2tun", "--type", "nu2eth=ether", "--type nu2eth=ether: no such session "
                        + "imported (imported: nu2tun)"),
                List.of("--type", "tun", "--type", "ether", "--type without SESSION= given twice (tun, ether)"),
                List.of("--proto", "nu2eth=tcp", "--proto", "nu2eth=udp", "--proto nu2eth= given twice"),
                List.of("--proto", "=udp", "the session's name is missing"))) {
            List<String> args = new ArrayList<>(List.of("import-vtund", vtund.toString(), "--server", "192.0.2.1",
                    "--out", out.toString()));
            args.addAll(bad.subList(0, bad.size() - 1));
            Outcome o = run(args.toArray(String[]::new));
            assertThat(o.exit()).as("%s: %s", bad, o.err()).isEqualTo(ExitStatus.USAGE);
            assertThat(o.err()).as("%s", bad).contains(bad.get(bad.size() - 1));
            assertThat(out).as("%s", bad).isEmptyDirectory();
        }
    }

    /**
     * A modern client's per-session metrics port is 9586 + the session's place among the file's sessions: imported
     * in one run, or one --session per run into one folder (the new user's way before --type SESSION=), the same
     * ports, so the daemons never clash.
     */
    @Test
    void perSessionMetricsPortsAreTheSameInOneRunAndInSeparateRuns(@TempDir Path dir) throws IOException {
        Path vtund = mixedClient(dir);
        String serverKey = newPublicKey();
        Path together = Files.createDirectory(dir.resolve("together"));
        Outcome all = run("import-vtund", vtund.toString(), "--server", "192.0.2.1", "--peer-key", serverKey,
                "--type", "nu2eth=ether", "--proto", "nu2tun=udp", "--proto", "nu2eth=tcp", "--out",
                together.toString());
        assertThat(all.exit()).as(all.err()).isZero();
        Path apart = Files.createDirectory(dir.resolve("apart"));
        Outcome first = run("import-vtund", vtund.toString(), "--server", "192.0.2.1", "--peer-key", serverKey,
                "--session", "nu2tun", "--proto", "udp", "--out", apart.toString());
        assertThat(first.exit()).as(first.err()).isZero();
        Outcome second = run("import-vtund", vtund.toString(), "--server", "192.0.2.1", "--peer-key", serverKey,
                "--session", "nu2eth", "--proto", "tcp", "--type", "ether", "--out", apart.toString());
        assertThat(second.exit()).as(second.err()).isZero();
        // nu2tun is the file's 1st session, nu2eth its 3rd (viper, a tty session, is 2nd)
        for (Path folder : List.of(together, apart)) {
            for (String[] expected : List.of(new String[] {"nu2tun", "9586"}, new String[] {"nu2eth", "9588"})) {
                ConfigCheck.Result r = check(folder.resolve(expected[0] + ".conf"));
                assertThat(r.problems()).isEmpty();
                assertThat(r.config().metricsBind().orElseThrow()).as("%s %s", folder, expected[0])
                        .hasToString("/127.0.0.1:" + expected[1]);
            }
        }
        // and it is said
        assertThat(second.out()).contains("metrics on 127.0.0.1:9588", "metrics.bind = 127.0.0.1:9588 — 9586 + the "
                + "session's place among the file's 3 sessions (3rd: nu2tun, viper, nu2eth), the same port whether "
                + "imported with the others or alone with --session");
        assertThat(all.out()).contains("metrics on 127.0.0.1:9586", "metrics on 127.0.0.1:9588");
        // a file with one session: the default port, nothing written
        Path single = Files.createDirectory(dir.resolve("single"));
        Path one = dir.resolve("in").resolve("one.conf");
        Files.writeString(one, "s { passwd p; type tun; persist yes; }\n");
        Outcome o = run("import-vtund", one.toString(), "--server", "192.0.2.1", "--peer-key", serverKey, "--out",
                single.toString());
        assertThat(o.exit()).as(o.err()).isZero();
        assertThat(ConfigFactory.parseFile(single.resolve("one.conf").toFile()).hasPath("culvert.metrics"))
                .isFalse();
    }

    /**
     * The printed step names the line where the peer's key goes and shows it exactly as written (commented out,
     * with the same placeholder); doing what it says (uncomment, replace the placeholder) passes check-config.
     */
    @Test
    void thePrintedPeerKeyLineIsTheWrittenLine(@TempDir Path dir) throws IOException {
        Path server = Files.createDirectories(dir.resolve("in")).resolve("server-vtund.conf");
        Files.writeString(server, """
                options { port 5000; bindaddr { addr 192.0.2.1; }; }
                nu2tun { passwd secret1; type tun; proto udp; }
                nu2eth { passwd secret2; type ether; proto tcp; }
                """);
        Path serverOut = Files.createDirectory(dir.resolve("server"));
        Outcome s = run("import-vtund", server.toString(), "--out", serverOut.toString());
        assertThat(s.exit()).as(s.err()).isZero();
        // the client's command line for this mixed pair, as the server's file says it
        assertThat(s.out()).contains("--server THIS_HOST --type nu2tun=tun --type nu2eth=ether --proto nu2tun=udp "
                + "--proto nu2eth=tcp --peer-key ");
        Path clientOut = Files.createDirectory(dir.resolve("client"));
        Outcome c = run("import-vtund", mixedClient(dir).toString(), "--server", "192.0.2.1", "--session", "nu2tun",
                "--proto", "udp", "--out", clientOut.toString());
        assertThat(c.exit()).as(c.err()).isZero();
        java.util.regex.Pattern step = java.util.regex.Pattern.compile("\n {5}(\\S+), tunnel (\\S+), line (\\d+): "
                + "(.+)");
        for (Outcome o : List.of(s, c)) {
            assertThat(o.out()).contains("commented out: uncomment", "(delete the \"# \") and replace the "
                    + "placeholder in capitals with");
            java.util.regex.Matcher m = step.matcher(o.out());
            int found = 0;
            java.util.Map<Path, List<String>> edited = new java.util.LinkedHashMap<>();
            while (m.find()) {
                found++;
                Path conf = Path.of(m.group(1));
                List<String> lines = edited.computeIfAbsent(conf, f -> {
                    try {
                        return new ArrayList<>(Files.readAllLines(f));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                int at = Integer.parseInt(m.group(3));
                String printed = m.group(4);
                assertThat(lines.get(at - 1).strip()).isEqualTo(printed);
                String placeholder = o == s ? "CLIENT-KEY-FOR-" + m.group(2) : "SERVER-KEY";
                assertThat(printed).isEqualTo("# public-key = \"" + placeholder + "\"");
                // the comment above it says the same
                assertThat(lines.get(at - 2)).contains("Uncomment the next line", placeholder);
                lines.set(at - 1, lines.get(at - 1).replace("# public-key", "public-key")
                        .replace(placeholder, newPublicKey()));
            }
            assertThat(found).isEqualTo(o == s ? 2 : 1);
            for (java.util.Map.Entry<Path, List<String>> e : edited.entrySet()) {
                assertThat(check(e.getKey()).problems()).as("%s before", e.getKey()).isNotEmpty();
                Files.write(e.getKey(), e.getValue());
                assertThat(check(e.getKey()).problems()).as("%s after", e.getKey()).isEmpty();
            }
        }
    }
}
