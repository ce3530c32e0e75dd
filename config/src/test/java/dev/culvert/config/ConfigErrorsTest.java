package dev.culvert.config;

import static dev.culvert.config.Fixture.ORIGIN;
import static dev.culvert.config.Fixture.lineOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of mistake gives a problem with the file, the line and the full key path. */
class ConfigErrorsTest {

    private static final String TUNNEL = "culvert.tunnels.site-b.";

    @TempDir
    Path dir;
    Fixture fx;

    @BeforeEach
    void setUp() {
        fx = new Fixture(dir);
    }

    /** The minimal config with {@code from} replaced by {@code to}; asserts exactly one problem at the marker. */
    private void assertProblem(String from, String to, String marker, String keyPath, String message) {
        String text = fx.minimal().replace(from, to);
        assertThat(text).as("replacement applied").isNotEqualTo(fx.minimal());
        ConfigProblem problem = fx.problem(text);
        assertThat(problem.toString()).isEqualTo(ORIGIN + ":" + lineOf(text, marker) + ": " + keyPath + ": " + message);
    }

    @Test
    void mtuOutOfRangeReadsAsTheBriefSays() {
        assertProblem("device {", "device {\n mtu = 70000\n", "mtu = 70000",
                TUNNEL + "device.mtu", "must be between 576 and 65000 (got 70000)");
    }

    @Test
    void mssClampOutOfRangeOrUnknownIsAClearError() {
        assertProblem("device {", "mss-clamp = 100\n device {", "mss-clamp = 100", TUNNEL + "mss-clamp",
                "an MSS must be between 536 and 65495 bytes (got 100); or use auto (the device MTU less 40 bytes "
                        + "for IPv4, 60 for IPv6)");
        assertProblem("device {", "mss-clamp = 70000\n device {", "mss-clamp = 70000", TUNNEL + "mss-clamp",
                "an MSS must be between 536 and 65495 bytes (got 70000); or use auto (the device MTU less 40 bytes "
                        + "for IPv4, 60 for IPv6)");
        assertProblem("device {", "mss-clamp = pmtu\n device {", "mss-clamp = pmtu", TUNNEL + "mss-clamp",
                "must be off, auto, or an MSS in bytes 536..65495 (got 'pmtu')");
    }

    @Test
    void unknownKeysAreNamedWithAHint() {
        assertProblem("device {", "device {\n mut = 1400\n", "mut = 1400",
                TUNNEL + "device.mut", "unknown key 'mut'; did you mean 'mtu'?");
        assertProblem("endpoint =", "endpiont =", "endpiont",
                TUNNEL + "peer.endpiont", "unknown key 'endpiont'; did you mean 'endpoint'?");
        assertProblem("listen {", "listne {", "listne",
                "culvert.listne", "unknown key 'listne'; did you mean 'listen'?");
        assertProblem("culvert {", "zzz = 1\nculvert {", "zzz", "zzz", "unknown key 'zzz'");
        assertProblem("      device {", "      compresion = lz4\n      device {", "compresion",
                TUNNEL + "compresion", "unknown key 'compresion'; did you mean 'compression'?");
    }

    @Test
    void wrongTypesAreReported() {
        assertProblem("device {", "device {\n mtu = \"big\"\n", "big",
                TUNNEL + "device.mtu", "must be a whole number (got 'big')");
        assertProblem("device {", "device {\n mtu = 1420.5\n", "1420.5",
                TUNNEL + "device.mtu", "must be a whole number (got '1420.5')");
        assertProblem("device {", "device {\n mtu = [1420]\n", "[1420]",
                TUNNEL + "device.mtu", "must be a single value (got list)");
        assertProblem("routes = [\"198.51.100.0/24\"]", "routes = \"198.51.100.0/24\"", "routes",
                TUNNEL + "device.routes", "must be a list, as [\"...\", \"...\"] (got string)");
        assertProblem("listen { udp = \":51820\" }", "listen = 51820", "listen",
                "culvert.listen", "must be a block { ... } (got number)");
        assertProblem("device {", "device {\n mode = tup\n", "tup",
                TUNNEL + "device.mode", "must be one of tun, tap (got 'tup')");
    }

    @Test
    void anEndpointOfTheOtherFamilyThanTheUdpListenAddressIsAnError() {
        String text = fx.minimal().replace("\":51820\"", "\"192.0.2.1:51820\"")
                .replace("203.0.113.7:51820", "[2001:db8:1::2]:51820");
        ConfigProblem problem = fx.problem(text);
        assertThat(problem.toString()).isEqualTo(ORIGIN + ":" + lineOf(text, "endpoint") + ": " + TUNNEL
                + "peer.endpoint: endpoint [2001:db8:1::2]:51820 is IPv6 but culvert.listen.udp (192.0.2.1:51820) is "
                + "an IPv4 address, from which it cannot be reached; listen on \":51820\" (both families) or on an "
                + "IPv6 address");
        String wildcard = fx.minimal().replace("203.0.113.7:51820", "[2001:db8:1::2]:51820");
        assertThatCode(() -> fx.parse(wildcard)).as("a wildcard listen address takes both families")
                .doesNotThrowAnyException();
        String sameFamily = text.replace("\"192.0.2.1:51820\"", "\"[2001:db8:1::1]:51820\"");
        assertThatCode(() -> fx.parse(sameFamily)).doesNotThrowAnyException();
        // An IPv6 listen address is printed compressed (RFC 5952), as everywhere else, not 2001:db8:1:0:0:0:0:1.
        String v6Listen = fx.minimal().replace("\":51820\"", "\"[2001:db8:1::1]:51820\"");
        assertThat(fx.problem(v6Listen).toString()).contains("culvert.listen.udp ([2001:db8:1::1]:51820) is an IPv6 "
                + "address");
    }

    /** Issue 11 item 10: 0.0.0.0 is an IPv4-only socket; [::] and a port alone take both families. */
    @Test
    void theIpv4WildcardReachesIpv4OnlyAndTheIpv6WildcardBoth() throws Exception {
        String v6Peer = fx.minimal().replace("203.0.113.7:51820", "[2001:db8:1::2]:51820");
        String anyV4 = v6Peer.replace("\":51820\"", "\"0.0.0.0:51820\"");
        assertThat(fx.problem(anyV4).toString()).isEqualTo(ORIGIN + ":" + lineOf(anyV4, "endpoint") + ": " + TUNNEL
                + "peer.endpoint: endpoint [2001:db8:1::2]:51820 is IPv6 but culvert.listen.udp (0.0.0.0:51820) "
                + "listens on IPv4 only, from which it cannot be reached; listen on \":51820\" (both families) or on "
                + "an IPv6 address");
        assertThatCode(() -> fx.parse(fx.minimal().replace("\":51820\"", "\"0.0.0.0:51820\"")))
                .as("0.0.0.0 reaches an IPv4 endpoint").doesNotThrowAnyException();
        for (String both : List.of("\"[::]:51820\"", "\":51820\"", "51820")) {
            String text = v6Peer.replace("\":51820\"", both);
            assertThatCode(() -> fx.parse(text)).as(both).doesNotThrowAnyException();
            assertThatCode(() -> fx.parse(text.replace("[2001:db8:1::2]:51820", "203.0.113.7:51820"))).as(both)
                    .doesNotThrowAnyException();
        }
        CulvertConfig portOnly = fx.parse(fx.minimal());
        assertThat(portOnly.listenUdp().orElseThrow().getAddress()).isInstanceOf(java.net.Inet6Address.class)
                .matches(java.net.InetAddress::isAnyLocalAddress, "the IPv6 wildcard");
    }

    @Test
    void badAddressesAndPorts() {
        assertProblem("\":51820\"", "\":0\"", "listen", "culvert.listen.udp",
                "port must be between 1 and 65535 (got '0')");
        assertProblem("\":51820\"", "\"vpn.example.net:51820\"", "listen", "culvert.listen.udp",
                "'vpn.example.net' must be an IP address to listen on, not a host name (or write :51820 for all "
                        + "addresses)");
        assertProblem("203.0.113.7:51820", "203.0.113.7:70000", "endpoint", TUNNEL + "peer.endpoint",
                "port must be between 1 and 65535 (got '70000')");
        assertProblem("203.0.113.7:51820", "203.0.113.7", "endpoint", TUNNEL + "peer.endpoint",
                "'203.0.113.7' has no port (expected host:port)");
        assertProblem("203.0.113.7:51820", "2001:db8::7:51820", "endpoint", TUNNEL + "peer.endpoint",
                "'2001:db8::7:51820': write an IPv6 address in brackets, as [2001:db8::1]:51820");
        assertProblem("203.0.113.7:51820", "203.0.113.256:51820", "endpoint", TUNNEL + "peer.endpoint",
                "'203.0.113.256' is not an IP address");
        assertProblem("203.0.113.7:51820", "-bad-.example:51820", "endpoint", TUNNEL + "peer.endpoint",
                "'-bad-.example' is neither an IP address nor a valid host name");
    }

    @Test
    void badCidrs() {
        assertProblem("198.18.0.1/30", "198.18.0.1/33", "address", TUNNEL + "device.address",
                "'198.18.0.1/33' has an invalid prefix length (must be 0..32)");
        assertProblem("198.18.0.1/30", "198.18.0/30", "address", TUNNEL + "device.address",
                "'198.18.0/30' is not a CIDR (expected address/prefix, e.g. 198.18.0.0/24 or 2001:db8::/64)");
        String text = fx.minimal().replace("routes = [\"198.51.100.0/24\"]",
                "routes = [\n\"198.51.100.0/24\",\n\"198.51.100.1/24\"\n]");
        ConfigProblem problem = fx.problem(text);
        assertThat(problem).hasToString(ORIGIN + ":" + lineOf(text, "100.1/24") + ": " + TUNNEL
                + "device.routes[1]: 198.51.100.1/24 has host bits set; write 198.51.100.0/24 for the network, "
                + "or 198.51.100.1/32 for the single address");
        assertProblem("198.18.0.2/32", "2001:db8::1/64", "allowed-ips", TUNNEL + "peer.allowed-ips[0]",
                "2001:db8::1/64 has host bits set; write 2001:db8::/64 for the network, or 2001:db8::1/128 for the "
                        + "single address");
    }

    @Test
    void badPublicKeyIsNotEchoed() {
        String text = fx.minimal().replace("$PUB1", "c2VjcmV0LWxvb2tpbmctdGV4dA==");
        ConfigProblem problem = fx.problem(text);
        assertThat(problem).hasToString(ORIGIN + ":" + lineOf(text, "public-key") + ": " + TUNNEL
                + "peer.public-key: must be a 32-byte key in base64, 44 characters ending in '=' (got 28 characters)");
        assertThat(problem.toString()).doesNotContain("c2VjcmV0");
    }

    @Test
    void missingRequiredKeysPointAtTheEnclosingBlock() {
        String text = fx.minimal().replace("public-key = \"$PUB1\", ", "");
        assertThat(fx.problem(text)).hasToString(ORIGIN + ":" + lineOf(text, "peer {") + ": " + TUNNEL
                + "peer.public-key: missing; this key is required");
        String noKey = fx.minimal().replace("  private-key-file = \"$KEY\"\n", "");
        assertThat(fx.problem(noKey)).hasToString(ORIGIN + ":1: culvert.private-key-file: missing; this key is required");
    }

    @Test
    void tunnelLevelRules() {
        assertProblem("      device {", "      transport = sctp\n      device {", "transport", TUNNEL + "transport",
                "must be one of udp, tcp, vtun-legacy (got 'sctp')");
        assertProblem("      device {", "      compression = brotli\n      device {", "compression", TUNNEL + "compression",
                "must be off, lz4, zlib or zlib:1..9 (got 'brotli')");
        assertProblem("      device {", "      compression = \"zlib:12\"\n      device {", "compression",
                TUNNEL + "compression", "zlib level must be 1..9 (got 12)");
        assertProblem("      device {", "      persist = maybe\n      device {", "persist", TUNNEL + "persist",
                "must be true or false (got 'maybe')");
        assertProblem("      device {", "      up = [\"echo 'oops\"]\n      device {", "up", TUNNEL + "up[0]",
                "has an unbalanced ' quote: echo 'oops");
        assertProblem("      device {", "      device.mac = \"02:00:00:00:00:01\"\n      device {", "device.mac",
                TUNNEL + "device.mac", "only a tap device has an Ethernet address (device.mode is tun)");
        assertProblem("      device {", "      device { mode = tap, mac = \"01:00:00:00:00:01\" }\n      device {", "mac",
                TUNNEL + "device.mac", "must be a unicast address (the first octet's lowest bit clear): 01:00:00:00:00:01");
        assertProblem("      device {", "      keepalive { persistent = 70000s }\n      device {", "keepalive",
                TUNNEL + "keepalive.persistent",
                "must be 0 (off) or a whole number of seconds between 1s and 65535s (got '70000s')");
        assertProblem("      device {", "      keepalive.persistent = 1500ms\n      device {", "keepalive",
                TUNNEL + "keepalive.persistent",
                "must be 0 (off) or a whole number of seconds between 1s and 65535s (got '1500ms')");
        assertProblem("      device {", "      keepalive.persistent = soon\n      device {", "keepalive",
                TUNNEL + "keepalive.persistent", "'soon' is not a duration (write e.g. 25s, 2m or 0)");
        assertProblem("site-b {", "Site_B {", "Site_B", "culvert.tunnels.Site_B",
                "'Site_B' is not a valid tunnel name: use lower case letters, digits, '-', '_' and '.', "
                        + "starting with a letter or digit");
        assertProblem("device {", "device {\n name = \"cv-much-too-long\"\n", "too-long", TUNNEL + "device.name",
                "must be 1 to 15 characters long (got 16: 'cv-much-too-long')");
        assertProblem("device {", "device {\n name = \"cv/b\"\n", "cv/b", TUNNEL + "device.name",
                "'cv/b' is not a valid interface name (no '/', ':', '%', whitespace or control characters, and not '.' or '..')");
        assertProblem("device { address = \"198.18.0.1/30\", routes = [\"198.51.100.0/24\"] }", "device = tun0",
                "tun0", TUNNEL + "device", "must be a block { ... } (got string)");
    }

    @Test
    void atLeastOneTunnelIsRequired() {
        String text = fx.minimal().substring(0, fx.minimal().indexOf("  tunnels")) + "  tunnels {}\n}\n";
        assertThat(fx.problem(text)).hasToString(ORIGIN + ":" + lineOf(text, "tunnels") + ": culvert.tunnels: "
                + "at least one tunnel is required, as tunnels { site-b { ... } }");
    }

    @Test
    void someoneMustBeAbleToCallTheOther() {
        String text = fx.minimal().replace("  listen { udp = \":51820\" }\n", "")
                .replace("endpoint = \"203.0.113.7:51820\", ", "");
        assertThat(fx.problem(text)).hasToString(ORIGIN + ":" + lineOf(text, "peer {") + ": " + TUNNEL
                + "peer.endpoint: no endpoint to dial, and culvert.listen.udp is not set so the peer cannot reach "
                + "us either; set peer.endpoint or culvert.listen.udp");
    }

    @Test
    void tunnelsMayNotShareADeviceOrAPeer() {
        String text = """
                culvert {
                  private-key-file = "$KEY"
                  listen.udp = 51820
                  tunnels {
                    headquarters-east { peer.public-key = "$PUB1" }
                    headquarters-west { peer.public-key = "$PUB2" }
                    branch-1 { device.name = "br1", peer.public-key = "$PUB1" }
                    branch-2 {
                      device.name = "br1"
                      peer.public-key = "$PUB2"
                    }
                  }
                }
                """;
        List<ConfigProblem> problems = fx.problems(text);
        assertThat(problems).map(ConfigProblem::toString).containsExactly(
                ORIGIN + ":6: culvert.tunnels.headquarters-west.device.name: device name 'cv-headquarters' is also "
                        + "used by tunnel 'headquarters-east' (it is the default; set device.name)",
                ORIGIN + ":7: culvert.tunnels.branch-1.peer.public-key: tunnel 'headquarters-east' has the same "
                        + "peer public-key; a peer can belong to one tunnel only",
                ORIGIN + ":9: culvert.tunnels.branch-2.device.name: device name 'br1' is also used by tunnel "
                        + "'branch-1'",
                ORIGIN + ":10: culvert.tunnels.branch-2.peer.public-key: tunnel 'headquarters-west' has the same "
                        + "peer public-key; a peer can belong to one tunnel only");
    }

    @Test
    void allProblemsAreReportedTogetherInFileOrder() {
        String text = """
                culvert {
                  private-key-file = "$KEY"
                  listen { udp = ":51820", tcp = ":99999" }
                  tunnels {
                    site-b {
                      device { mut = 1400, mode = tup, routes = ["198.51.100.7/24"] }
                      peer { public-key = "short", endpiont = "203.0.113.7:51820" }
                      transport = pigeon
                    }
                    site-c {
                      device.mtu = 100
                      peer.public-key = "$PUB2"
                    }
                  }
                }
                """;
        List<ConfigProblem> problems = fx.problems(text);
        assertThat(problems).extracting(ConfigProblem::line).containsExactly(3, 6, 6, 6, 7, 7, 8, 11);
        assertThat(problems).extracting(ConfigProblem::keyPath).containsExactly(
                "culvert.listen.tcp",
                "culvert.tunnels.site-b.device.mut",
                "culvert.tunnels.site-b.device.mode",
                "culvert.tunnels.site-b.device.routes[0]",
                "culvert.tunnels.site-b.peer.endpiont",
                "culvert.tunnels.site-b.peer.public-key",
                "culvert.tunnels.site-b.transport",
                "culvert.tunnels.site-c.device.mtu");
        assertThat(problems).extracting(ConfigProblem::origin).containsOnly(ORIGIN);
    }

    @Test
    void syntaxErrorsAreProblemsWithALine() {
        String text = fx.minimal().replace("listen { udp = \":51820\" }", "listen { udp = \":51820\"");
        ConfigProblem problem = fx.problem(text);
        assertThat(problem.origin()).isEqualTo(ORIGIN);
        assertThat(problem.line()).isPositive();
        assertThat(problem.keyPath()).isEmpty();
        assertThat(problem.message()).startsWith("syntax error: ").doesNotContain("Exception")
                .doesNotContain("\tat ");
    }

    /** Issue 13 item 6: a base64 key pasted without quotes is a HOCON syntax error; say to quote it. */
    @Test
    void unquotedKeySaysToQuoteIt() {
        for (String key : List.of("abc+def/ghi=", "HIgo9xNzJMWLKASShiTq+ybxZ0U3wGLiUeJ1PKf8ykw=",
                "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=")) {
            String text = fx.minimal().replace("public-key = \"$PUB1\"", "public-key = " + key);
            ConfigProblem problem = fx.problem(text);
            assertThat(problem.line()).as(key).isEqualTo(lineOf(text, "public-key"));
            assertThat(problem.message()).as(key).startsWith("syntax error: ")
                    .endsWith("public-key: base64 keys must be quoted, e.g. public-key = \"…\"")
                    .as("the key itself is not echoed").doesNotContain(key.substring(4));
        }
    }

    /**
     * A "//" in an unquoted key starts a HOCON comment: the key would be read cut short, or the parser would fail
     * lines later; the key's own line is named instead.
     */
    @Test
    void unquotedKeyWithADoubleSlashNamesTheKeysLine() {
        String key = "AAAAbbbbCCCC//ddddEEEEffffGGGGhhhhIIIIjjjK=";
        String text = fx.minimal().replace("public-key = \"$PUB1\", endpoint = \"203.0.113.7:51820\", allowed-ips = "
                + "[\"198.18.0.2/32\"] }", "public-key = " + key + "\n endpoint = \"203.0.113.7:51820\"\n allowed-ips = "
                + "[\"198.18.0.2/32\"] }");
        assertThat(text).isNotEqualTo(fx.minimal());
        ConfigProblem problem = fx.problem(text);
        assertThat(problem.line()).isEqualTo(lineOf(text, "public-key"));
        assertThat(problem.message()).isEqualTo("syntax error: public-key: base64 keys must be quoted, e.g. "
                + "public-key = \"…\"");
    }

    @Test
    void unquotedKeyInALoadedFileSaysToQuoteIt() throws Exception {
        Path file = dir.resolve("site-a.conf");
        java.nio.file.Files.writeString(file,
                fx.fill(fx.minimal().replace("public-key = \"$PUB1\"", "public-key = abc+def/ghi=")));
        ConfigException e = org.assertj.core.api.Assertions.catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.load(file));
        assertThat(e).isNotNull();
        assertThat(e.problems()).singleElement().extracting(ConfigProblem::message).asString()
                .endsWith("public-key: base64 keys must be quoted, e.g. public-key = \"…\"");
    }

    @Test
    void otherSyntaxErrorsGetNoKeyHint() {
        String text = fx.minimal().replace("listen { udp = \":51820\" }", "listen { udp = a+b }");
        assertThat(fx.problem(text).message()).startsWith("syntax error: ").doesNotContain("must be quoted");
    }

    @Test
    void unresolvedSubstitutionsAreProblemsWithALine() {
        String text = fx.minimal().replace("\"203.0.113.7:51820\"", "${CULVERT_TEST_SURELY_UNSET_VARIABLE}");
        ConfigProblem problem = fx.problem(text);
        assertThat(problem.line()).isEqualTo(lineOf(text, "CULVERT_TEST"));
        assertThat(problem.message()).contains("CULVERT_TEST_SURELY_UNSET_VARIABLE");
    }

    @Test
    void problemsInALoadedFileNameThatFile() throws Exception {
        Path file = dir.resolve("site-a.conf");
        String text = fx.fill(fx.minimal().replace("device {", "device {\n mtu = 70000\n"));
        java.nio.file.Files.writeString(file, text);
        ConfigException e = org.assertj.core.api.Assertions.catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.load(file));
        assertThat(e.getMessage()).isEqualTo(file + ":" + lineOf(text, "70000") + ": " + TUNNEL
                + "device.mtu: must be between 576 and 65000 (got 70000)");
        ConfigException missing = org.assertj.core.api.Assertions.catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.load(dir.resolve("nope.conf")));
        assertThat(missing.getMessage()).isEqualTo(dir.resolve("nope.conf") + ": cannot read "
                + dir.resolve("nope.conf") + ": no such file");
    }
}
