package dev.culvert.daemon.vtund;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.culvert.daemon.vtund.VtundConf.Command;
import dev.culvert.daemon.vtund.VtundConf.CommandKind;
import dev.culvert.daemon.vtund.VtundConf.Session;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link VtundConf} against configs written for the test, and against Debian's vtund where it is installed. */
class VtundConfTest {
    private static final Path FILE = Path.of("test.conf");

    static VtundConf parse(String text) throws VtundConf.ParseException {
        return VtundConf.parse(text, FILE);
    }

    static final String EVERY_KEYWORD = """
            options {
              port 5001; port 5002;     # the first port wins, as vtund keeps it
              bindaddr { addr 192.0.2.1; };
              iface "eth0";
              type stand; timeout 45; syslog local3;
              ppp /usr/sbin/pppd; ifconfig /sbin/ifconfig; route /sbin/route; firewall /usr/sbin/iptables;
              ip /usr/bin/ip;
              ipv4;
            }
            default { compress zlib:3; keepalive 10:2; stat yes; }
            s1 {
              password Ma&^TU#x;
              device tun7; multi killold; timeout 9; speed 256:128;
              encrypt aes256cbc; type tun; proto udp; persist keep; nat_hack client; sslauth no;
              srcaddr { addr 192.0.2.9; port 6000; };
              up { ip "addr add 198.18.0.1 peer 198.18.0.2 dev %%";
                   program /bin/echo "x 'a b'" wait;
                   program "echo hi";
                   firewall "-L";
                   route "-n";
                   ifconfig "%% up";
                   ppp "noauth";
                   ifcfg "%d"; };
              down { ip "link set %d down"; };
            }
            """;

    @Test
    void everyKeywordIsRead() throws Exception {
        VtundConf c = parse(EVERY_KEYWORD);
        VtundConf.Options o = c.options();
        assertThat(o.port().orElseThrow().value()).isEqualTo(5001);
        assertThat(o.bindAddr().orElseThrow().value()).isEqualTo("192.0.2.1");
        assertThat(o.iface().orElseThrow().value()).isEqualTo("eth0");
        assertThat(o.type().orElseThrow().value()).isEqualTo("stand");
        assertThat(o.timeout().orElseThrow().value()).isEqualTo(45);
        assertThat(o.syslog().orElseThrow().value()).isEqualTo("local3");
        assertThat(o.family().orElseThrow().value()).isEqualTo("ipv4");
        assertThat(o.programs().get(CommandKind.FIREWALL).value()).isEqualTo("/usr/sbin/iptables");
        Session s = c.session("s1").orElseThrow();
        assertThat(s.passwd().orElseThrow().value()).isEqualTo("Ma&^TU#x");
        assertThat(s.device().orElseThrow().value()).isEqualTo("tun7");
        assertThat(s.multi().value()).isEqualTo("killold");
        assertThat(s.timeout().orElseThrow().value()).isEqualTo(9);
        assertThat(s.speed().orElseThrow().value()).containsExactly(256, 128);
        assertThat(s.encrypt().value()).isEqualTo("aes256cbc");
        assertThat(s.type().value()).isEqualTo("tun");
        assertThat(s.proto().value()).isEqualTo("udp");
        assertThat(s.persist().value()).isEqualTo("keep");
        assertThat(s.natHack().orElseThrow().value()).isEqualTo("client");
        assertThat(s.sslauth().orElseThrow().value()).isFalse();
        assertThat(s.srcAddr().orElseThrow().value()).isEqualTo("192.0.2.9");
        assertThat(s.srcPort().orElseThrow().value()).isEqualTo(6000);
        // from the default section, with its line
        assertThat(s.compress().value()).isEqualTo("zlib:3");
        assertThat(s.compress().line()).isEqualTo(10);
        assertThat(s.compress().fromDefaultSection()).isTrue();
        assertThat(s.keepalive().value()).isEqualTo("10:2");
        assertThat(s.stat().value()).isTrue();
        assertThat(s.up()).containsExactly(
                new Command(CommandKind.IP, "/usr/bin/ip", "addr add 198.18.0.1 peer 198.18.0.2 dev %%", true, 16),
                new Command(CommandKind.PROGRAM, "/bin/echo", "x 'a b'", true, 17),
                new Command(CommandKind.PROGRAM, null, "echo hi", false, 18),
                new Command(CommandKind.FIREWALL, "/usr/sbin/iptables", "-L", true, 19),
                new Command(CommandKind.ROUTE, "/sbin/route", "-n", true, 20),
                new Command(CommandKind.IFCONFIG, "/sbin/ifconfig", "%% up", true, 21),
                new Command(CommandKind.PPP, "/usr/sbin/pppd", "noauth", false, 22),
                new Command(CommandKind.IFCONFIG, "/sbin/ifconfig", "%d", true, 23));
        assertThat(s.down()).containsExactly(new Command(CommandKind.IP, "/usr/bin/ip", "link set %d down", true, 24));
    }

    @Test
    void yesNoAllowDenyAndDefaultsAsVtundHasThem() throws Exception {
        VtundConf c = parse("""
                a { passwd p; multi deny; stat enable; persist yes; compress yes; encrypt yes; keepalive yes; }
                b { passwd p; multi allow; stat disable; persist no; compress no; encrypt no; keepalive no; }
                c { passwd p; compress 7; }
                """);
        Session a = c.session("a").orElseThrow();
        assertThat(a.multi().value()).isEqualTo("deny");
        assertThat(a.stat().value()).isTrue();
        assertThat(a.compress().value()).isEqualTo("zlib:1"); // yes = zlib level 1
        assertThat(a.encrypt().value()).isEqualTo("blowfish128ecb"); // yes = blowfish128ecb
        assertThat(a.keepalive().value()).isEqualTo("30:4");
        Session b = c.session("b").orElseThrow();
        assertThat(b.multi().value()).isEqualTo("allow");
        assertThat(b.stat().value()).isFalse();
        assertThat(b.compress().value()).isEqualTo("no");
        assertThat(b.keepalive().value()).isEqualTo("no");
        Session d = c.session("c").orElseThrow();
        assertThat(d.compress().value()).isEqualTo("zlib:7");
        // vtund's defaults, not in the file
        assertThat(d.type().value()).isEqualTo("tty");
        assertThat(d.type().line()).isZero();
        assertThat(d.proto().value()).isEqualTo("tcp");
        assertThat(d.multi().value()).isEqualTo("allow");
    }

    @Test
    void theDefaultSectionReachesOnlySessionsAfterItAndUpReplacesItsUp() throws Exception {
        VtundConf c = parse("""
                early { passwd p; }
                default { type ether; up { ip "link set %% up"; }; }
                late { passwd p; }
                own { passwd p; up { program /bin/true; }; }
                """);
        assertThat(c.session("early").orElseThrow().type().value()).isEqualTo("tty");
        assertThat(c.session("late").orElseThrow().type().value()).isEqualTo("ether");
        assertThat(c.session("late").orElseThrow().up()).extracting(Command::args).containsExactly("link set %% up");
        assertThat(c.session("own").orElseThrow().up()).extracting(Command::program).containsExactly("/bin/true");
    }

    @Test
    void programPathsAreTheOnesTheOptionsNamedBeforeTheLine() throws Exception {
        VtundConf c = parse("""
                a { passwd p; up { ip "x";
                  firewall "y"; }; }
                options { ip /usr/local/bin/ip; }
                b { passwd p; up { ip "x"; }; }
                """);
        assertThat(c.session("a").orElseThrow().up()).extracting(Command::program)
                .containsExactly("/sbin/ip", "/sbin/ipchains");
        assertThat(c.session("b").orElseThrow().up()).extracting(Command::program).containsExactly("/usr/local/bin/ip");
    }

    /** Each checked against Debian's vtund 3.0.4 by hand and in {@link #debiansVtundReadsWhatThisParserReads}. */
    static final String ODD_QUOTING = """
            s { passwd a#b\\c~.;
              up { program /bin/sh "-c 'echo \\"x\\"'" wait;
                   ip "a"; program /bin/echo "b";
                   ip "c"; # "comment"
              };
            }
            """;

    @Test
    void oddQuotingAsFlexCutsIt() throws Exception {
        VtundConf c = parse(ODD_QUOTING);
        Session s = c.session("s").orElseThrow();
        // '#' and '\\' are word characters in a value: no comment, no escape
        assertThat(s.passwd().orElseThrow().value()).isEqualTo("a#b\\c~.");
        assertThat(s.up().get(0).args()).isEqualTo("-c 'echo \\\"x\\\"'");
        assertThat(s.up().get(0).waits()).isTrue();
        // a string runs to the LAST '"' of its line (flex's \".*\"): the program line is inside it
        assertThat(s.up().get(1).args()).isEqualTo("a\"; program /bin/echo \"b");
        // ... and so does a comment's quote; the ';' before the '}' is then outside any value: skipped, and said
        assertThat(s.up().get(2).args()).isEqualTo("c\"; # \"comment");
        assertThat(s.up()).hasSize(3);
        assertThat(c.warnings()).singleElement().isEqualTo(new VtundConf.Problem(5, "invalid character ';' "
                + "(vtund logs it and skips it)"));
    }

    @Test
    void aSessionWithoutPasswordIsIgnoredAndTheFirstOfTwoIsUsed() throws Exception {
        VtundConf c = parse("""
                nopw { type tun; }
                twice { passwd first; }
                twice { passwd second; }
                """);
        assertThat(c.session("nopw")).isEmpty();
        assertThat(c.sessions()).hasSize(3);
        assertThat(c.sessions().get(0).incomplete()).isTrue();
        assertThat(c.session("twice").orElseThrow().passwd().orElseThrow().value()).isEqualTo("first");
        assertThat(c.warnings()).extracting(VtundConf.Problem::line).containsExactly(1);
    }

    @Test
    void anInvalidCharacterIsSkippedWithAWarningAsVtundDoes() throws Exception {
        VtundConf c = parse("s { passwd p; type tun; }\r\n");
        assertThat(c.session("s")).isPresent();
        assertThat(c.warnings()).singleElement().satisfies(w -> assertThat(w.message()).contains("\\x0d"));
    }

    /** Files vtund refuses, the line it names, and part of the message. */
    static final List<Case> BAD = List.of(
            new Case("options { port 5000; }\ns { comp lzo:9; passwd p; }\n", 2, "Unknown option 'comp'"),
            new Case("s { passwd 12345; }\n", 1, "expected a password"),
            new Case("options {\n persist yes;\n}\n", 2, "syntax error"),
            new Case("my.host { passwd p; }\n", 1, "Invalid clause 'my.host'"),
            new Case("s {\n passwd p;\n up { ip \"x\"; }\n down { ip \"y\"; };\n}\n", 4, "syntax error"),
            new Case("s { passwd p;\n up { wibble \"x\"; };\n}\n", 2, "Unknown cmd 'wibble'"),
            new Case("options { syslog nosuch; }\n", 1, "Unknown syslog facility"),
            new Case("s { passwd p;\n\n compress lzo; }\n", 3, "compress"),
            new Case("s { passwd p; device tun; }\n", 1, "device"),
            new Case("options { }\n", 1, "syntax error"),
            new Case("s { passwd p; type 1; }\n", 1, "type 1: expected"),
            new Case("s { passwd p;\n", 2, "syntax error"),
            new Case("s { passwd p;\n up { ip \"a\"; program /bin/echo \"b\" wait; };\n}\n", 2, "syntax error"));

    record Case(String text, int line, String message) {}

    @Test
    void errorsNameTheLine() {
        for (Case c : BAD) {
            assertThatThrownBy(() -> parse(c.text())).as(c.text()).isInstanceOf(VtundConf.ParseException.class)
                    .hasMessageStartingWith("test.conf:" + c.line() + ": ").hasMessageContaining(c.message());
        }
    }

    @Test
    void anAbbreviatedKeywordIsNamed() {
        assertThatThrownBy(() -> parse("s { passwd p; comp yes; }")).hasMessageContaining("compress?");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 8, 9, 11, 12})
    void debiansVtundRefusesTheSameFilesAtTheSameLines(int index, @TempDir Path dir) throws Exception {
        Path vtund = Path.of("/usr/sbin/vtund");
        if (!Files.isExecutable(vtund)) {
            assumeTrue(!"true".equalsIgnoreCase(System.getenv("CI")), "CI=true: Debian's vtun package is required");
            assumeTrue(false, "vtund is not installed (apt-get install vtun)");
        }
        Case c = BAD.get(index);
        Path file = dir.resolve("v.conf");
        Files.writeString(file, c.text(), StandardCharsets.ISO_8859_1);
        // a client run for a session that is in no file: vtund reads the file, says why, and exits (no network)
        Process p = new ProcessBuilder(vtund.toString(), "-n", "-f", file.toString(), "nosuch-m12", "127.0.0.1")
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("line (\\d+)").matcher(log);
        assertThat(m.find()).as("vtund's output: %s", log).isTrue();
        assertThat(Integer.parseInt(m.group(1))).as("vtund's output: %s", log).isEqualTo(c.line());
    }

    static final String ACCEPTED = """
            options { port 5000; bindaddr { addr 192.0.2.1; }; syslog daemon; ip /sbin/ip; ipv4; }
            default { compress no; speed 0; }
            odd-name_1 { password a#b; type ether; keepalive 10:3; multi killold; sslauth yes;
              up { program /bin/sh "-c 'echo \\"%d\\"'" wait; ip "link set %% up"; };
            }
            """;

    @ParameterizedTest
    @ValueSource(strings = {"ACCEPTED", "ODD_QUOTING", "EVERY_KEYWORD"})
    void debiansVtundReadsWhatThisParserReads(String which, @TempDir Path dir) throws IOException,
            InterruptedException, VtundConf.ParseException {
        Path vtund = Path.of("/usr/sbin/vtund");
        if (!Files.isExecutable(vtund)) {
            assumeTrue(!"true".equalsIgnoreCase(System.getenv("CI")), "CI=true: Debian's vtun package is required");
            assumeTrue(false, "vtund is not installed (apt-get install vtun)");
        }
        String text = switch (which) {
            case "ACCEPTED" -> ACCEPTED;
            case "ODD_QUOTING" -> ODD_QUOTING;
            default -> EVERY_KEYWORD;
        };
        VtundConf mine = parse(text);
        Path file = dir.resolve("v.conf");
        Files.writeString(file, text, StandardCharsets.ISO_8859_1);
        Process p = new ProcessBuilder(vtund.toString(), "-n", "-f", file.toString(), "nosuch-m12", "127.0.0.1")
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(log).doesNotContain("syntax error").contains("Host nosuch-m12 not found");
        // what vtund logs and skips, at the same lines
        List<Integer> theirs = Pattern.compile("Invalid character '.' line (\\d+)").matcher(log).results()
                .map(r -> Integer.parseInt(r.group(1))).toList();
        assertThat(mine.warnings()).extracting(VtundConf.Problem::line).containsExactlyElementsOf(theirs);
    }
}
