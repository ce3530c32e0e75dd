package dev.culvert.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 11 item 7: two {@code tunnels} blocks with the same name used to be merged silently into one tunnel; now a
 * tunnel setting given twice in one file is refused with both places (block or path form alike), while a later
 * (included) file may extend or override a tunnel, as HOCON does, and {@link ConfigLoader#overrides} says so.
 */
class DuplicateTunnelsTest {

    @TempDir
    Path dir;
    Fixture fx;

    @BeforeEach
    void setUp() {
        fx = new Fixture(dir);
    }

    private static final String TWICE = """
            culvert {
              private-key-file = "$KEY"
              listen { udp = ":51820" }
              tunnels {
                site-b {
                  device { address = "198.18.0.1/30" }
                  peer { public-key = "$PUB1", endpoint = "203.0.113.7:51820", allowed-ips = ["198.18.0.2/32"] }
                }
                site-c {
                  device { address = "198.18.0.5/30" }
                  peer { public-key = "$PUB2", endpoint = "203.0.113.8:51820", allowed-ips = ["198.18.0.6/32"] }
                }
                site-b {
                  device { name = "cv-other", address = "198.18.0.9/30" }
                  peer { public-key = "$PUB2", endpoint = "203.0.113.9:51820", allowed-ips = ["198.18.0.10/32"] }
                }
              }
            }
            """;

    @Test
    void aTunnelWrittenTwiceInOneFileIsRefusedWithBothLines() {
        ConfigProblem p = fx.problems(TWICE).stream().filter(q -> q.message().contains("written twice"))
                .findFirst().orElseThrow(() -> new AssertionError(fx.problems(TWICE)));

        int first = Fixture.lineOf(TWICE, "site-b {");
        int second = TWICE.lines().toList().lastIndexOf("    site-b {") + 1;
        assertThat(second).isGreaterThan(first);
        assertThat(p.origin()).isEqualTo(Fixture.ORIGIN);
        assertThat(p.line()).isEqualTo(first);
        assertThat(p.keyPath()).isEqualTo("culvert.tunnels.site-b");
        assertThat(p.message()).contains("site-a.conf:" + first, "site-a.conf:" + second, "written twice in one file");
    }

    @Test
    void twoTunnelsBlocksWithTheSameTunnelAreRefusedToo() {
        String text = """
                culvert {
                  private-key-file = "$KEY"
                  listen { udp = ":51820" }
                  tunnels { site-b { device { address = "198.18.0.1/30" }, peer { public-key = "$PUB1" } } }
                  tunnels { site-b { device { address = "198.18.0.5/30" }, peer { public-key = "$PUB2" } } }
                }
                """;

        assertThat(fx.problems(text)).anySatisfy(p -> assertThat(p.message())
                .contains("site-a.conf:4", "site-a.conf:5", "written twice in one file", "two blocks"));
    }

    /** Found by a new-user test: two blocks of one name that set different keys were merged without a word. */
    @Test
    void twoBlocksOfOneTunnelAreRefusedWhateverKeysEachSets() {
        String text = """
                culvert {
                  private-key-file = "$KEY"
                  listen { udp = ":51820" }
                  tunnels {
                    site-b { device { address = "198.18.0.1/30" }, peer { public-key = "$PUB1" } }
                    site-b { device { name = "cv-x" } }
                  }
                }
                """;

        assertThat(fx.problem(text).message())
                .contains("site-a.conf:5", "site-a.conf:6", "written twice in one file", "two blocks");
    }

    /** A setting given again in the same file is refused alike, whether the second is a block or a path. */
    @ParameterizedTest
    @ValueSource(strings = {
        "culvert.tunnels.site-b { keepalive { persistent = 10s } }",
        "culvert.tunnels.site-b.keepalive.persistent = 10s",
        "culvert.tunnels { site-b.keepalive { persistent = 10s } }"})
    void aSettingGivenTwiceInOneFileIsRefusedInBlockAndPathForm(String again) {
        String text = withKeepalive() + again + "\n";

        ConfigProblem p = fx.problem(text);

        int block = Fixture.lineOf(text, "site-b {");
        int override = Fixture.lineOf(text, again);
        assertThat(p.message()).contains("site-a.conf:" + block, "site-a.conf:" + override,
                "written twice in one file", "another file");
        // a second block is refused as such; a path names the setting given twice
        assertThat(p.message()).contains(again.contains("site-b {") ? "two blocks" : "keepalive.persistent");
    }

    @Test
    void oneTunnelsSettingsSplitOverPlacesInOneFileAreOneTunnel() throws Exception {
        CulvertConfig config = fx.parse("""
                culvert {
                  private-key-file = "$KEY"
                  listen { udp = ":51820" }
                  tunnels.site-b.device.address = "198.18.0.1/30"
                  tunnels.site-b.peer { public-key = "$PUB1", allowed-ips = ["198.18.0.2/32"] }
                  tunnels { site-b { keepalive { persistent = 25s } } }
                  tunnels.site-b.peer.allowed-ips += "198.18.0.3/32"
                }
                """);

        assertThat(config.tunnels().get("site-b").persistentKeepalive()).hasSeconds(25);
        assertThat(config.tunnels().get("site-b").peer().allowedIps()).hasSize(2);
    }

    /** Issue 11 fix: an included file that overrides a tunnel is HOCON's ordinary override, and is said. */
    @ParameterizedTest
    @ValueSource(strings = {
        "culvert.tunnels.site-b { keepalive { persistent = 10s } }",
        "culvert.tunnels.site-b.keepalive.persistent = 10s",
        "culvert { tunnels { site-b { keepalive.persistent = 10s } } }"})
    void anIncludedFileMayOverrideATunnelInBlockOrPathForm(String override) throws Exception {
        Files.writeString(dir.resolve("override.conf"), "# local changes\n" + override + "\n");
        String main = fx.fill(withKeepalive()) + "include \"override.conf\"\n";
        Path file = dir.resolve("main.conf");
        Files.writeString(file, main);

        CulvertConfig config = ConfigLoader.load(file);

        assertThat(config.tunnels().get("site-b").persistentKeepalive()).hasSeconds(10);
        assertThat(ConfigLoader.overrides(file)).containsExactly("tunnel 'site-b': settings at " + dir
                + "/override.conf:2 override " + file + ":" + Fixture.lineOf(main, "site-b {")
                + " (keepalive.persistent)");
    }

    @Test
    void aLaterBlockOverridesAnIncludedOne() throws Exception {
        Files.writeString(dir.resolve("defaults.conf"), """
                culvert.tunnels.site-b { keepalive { persistent = 10s } }
                """);
        String main = "include \"defaults.conf\"\n" + fx.fill(withKeepalive());
        Path file = dir.resolve("main.conf");
        Files.writeString(file, main);

        CulvertConfig config = ConfigLoader.parse(main, file.toString());

        assertThat(config.tunnels()).containsOnlyKeys("site-b");
        assertThat(config.tunnels().get("site-b").persistentKeepalive()).hasSeconds(25);
        assertThat(DuplicateTunnels.overrides(main, file.toString(), file)).containsExactly(
                "tunnel 'site-b': settings at " + file + ":" + Fixture.lineOf(main, "site-b {") + " override " + dir
                        + "/defaults.conf:1 (keepalive.persistent)");
    }

    @Test
    void eachRunOfOneFilesSettingsIsOnePlaceInTheNotes() throws Exception {
        Files.writeString(dir.resolve("local.conf"), """
                culvert.tunnels.site-b.keepalive.persistent = 10s
                culvert.tunnels.site-b.hook-timeout = 5s
                """);
        String main = fx.fill(withKeepalive()) + "include \"local.conf\"\nculvert.tunnels.site-b.hook-timeout = 7s\n";
        Path file = dir.resolve("main.conf");
        Files.writeString(file, main);

        CulvertConfig config = ConfigLoader.load(file);

        assertThat(config.tunnels().get("site-b").hookTimeout()).hasSeconds(7);
        int block = Fixture.lineOf(main, "site-b {");
        int last = Fixture.lineOf(main, "hook-timeout = 7s");
        assertThat(ConfigLoader.overrides(file)).containsExactly(
                "tunnel 'site-b': settings at " + dir + "/local.conf:1 override " + file + ":" + block
                        + " (keepalive.persistent)",
                "tunnel 'site-b': settings at " + file + ":" + last + " override " + file + ":" + block + ", " + dir
                        + "/local.conf:1 (hook-timeout)");
    }

    @Test
    void anIncludedFileThatOnlyAddsSettingsIsSaidToAddThem() throws Exception {
        Files.writeString(dir.resolve("local.conf"), "culvert.tunnels.site-b { hook-timeout = 5s }\n");
        String main = fx.fill(fx.minimal()) + "include \"local.conf\"\n";
        Path file = dir.resolve("main.conf");
        Files.writeString(file, main);

        assertThat(ConfigLoader.overrides(file)).containsExactly("tunnel 'site-b': settings at " + dir
                + "/local.conf:1 add to " + file + ":" + Fixture.lineOf(main, "site-b {") + " (hook-timeout)");
    }

    @Test
    void aTunnelWrittenTwiceInAnIncludedFileIsRefusedWithThatFilesLines() throws Exception {
        Files.writeString(dir.resolve("tunnels.conf"), fx.fill("""
                site-b { peer { public-key = "$PUB1" } }
                site-c { peer { public-key = "$PUB2" } }
                site-b { peer { public-key = "$PUB2" } }
                """));
        Files.writeString(dir.resolve("main.conf"), fx.fill("""
                culvert {
                  private-key-file = "$KEY"
                  tunnels { include "tunnels.conf" }
                }
                """));

        ConfigException e = org.assertj.core.api.Assertions.catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.load(dir.resolve("main.conf")));

        assertThat(e).isNotNull();
        assertThat(e.problems()).anySatisfy(p -> assertThat(p.message())
                .contains("tunnels.conf:1", "tunnels.conf:3", "written twice", "two blocks"));
    }

    @Test
    void distinctTunnelsInSeveralTunnelsBlocksAndCopiesOfATunnelAreFine() throws Exception {
        CulvertConfig config = fx.parse("""
                culvert {
                  private-key-file = "$KEY"
                  listen { udp = ":51820" }
                  tunnels {
                    site-b {
                      device { address = "198.18.0.1/30" }
                      peer { public-key = "$PUB1", endpoint = "203.0.113.7:51820", allowed-ips = ["198.18.0.2/32"] }
                      keepalive { persistent = 25s }
                    }
                  }
                  tunnels {
                    site-c = ${culvert.tunnels.site-b} {
                      device { name = "cv-c", address = "198.18.0.5/30" }
                      peer { public-key = "$PUB2", endpoint = "203.0.113.8:51820", allowed-ips = ["198.18.0.6/32"] }
                    }
                  }
                }
                """);

        assertThat(config.tunnels()).containsOnlyKeys("site-b", "site-c");
    }

    @Test
    void theScanFollowsHoconsStructure() {
        String text = """
                # culvert.tunnels.x { } in a comment
                {
                  culvert.tunnels."site.b" { device.address = "198.18.0.1/30" }  // a quoted key with a dot
                  culvert {
                    note = \"""site-c {
                    }\"""
                    list = [ { a = 1 }, "}" ]
                    tunnels {
                      site-c = ${x} { y = "{" }
                      site-c.keepalive.persistent = 5s
                    }
                  }
                  culvert.tunnels.site-c: {}
                  culvert.tunnels {
                    site-d
                    {
                      device { address = "198.18.0.1/30" } ${y}
                      peer.allowed-ips = [
                        "198.18.0.2/32" ]
                    }
                    site-e =
                      { device = { address = "198.18.0.5/30" } }
                  }
                }
                """;

        var found = DuplicateTunnels.find(text, "t.conf", Path.of("t.conf"));

        assertThat(found).containsExactly(
                new DuplicateTunnels.Setting("site.b", "device.address", "t.conf", 3, 3, true),
                new DuplicateTunnels.Setting("site-c", "", "t.conf", 9, 9, false),
                new DuplicateTunnels.Setting("site-c", "keepalive.persistent", "t.conf", 10, 10, true),
                new DuplicateTunnels.Setting("site-d", "device.address", "t.conf", 15, 17, true),
                new DuplicateTunnels.Setting("site-d", "peer.allowed-ips", "t.conf", 15, 18, true),
                new DuplicateTunnels.Setting("site-e", "device.address", "t.conf", 21, 22, true));
    }

    @Test
    void bracesInCommentsAndStringsAndIncludeFormsDoNotConfuseTheScan() throws Exception {
        Files.writeString(dir.resolve("peer.conf"), "public-key = \"k2\" # } {\n");
        String text = """
                culvert.tunnels {
                  t1 {   # t1 { ends } here
                    up = [ "echo '}' {", \"""a
                    } b\""" ]   // }
                    peer { include required(file("peer.conf")) }
                    device.name = "cv{1}"
                  }
                  t2.device.name = cv2
                  t1.peer.public-key = "k1"
                }
                """;
        Path file = dir.resolve("t.conf");

        var found = DuplicateTunnels.find(text, file.toString(), file);

        assertThat(found).extracting(DuplicateTunnels.Setting::tunnel, DuplicateTunnels.Setting::setting,
                DuplicateTunnels.Setting::file, DuplicateTunnels.Setting::line).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("t1", "up", file.toString(), 3),
                        org.assertj.core.groups.Tuple.tuple("t1", "peer.public-key", dir + "/peer.conf", 1),
                        org.assertj.core.groups.Tuple.tuple("t1", "device.name", file.toString(), 6),
                        org.assertj.core.groups.Tuple.tuple("t2", "device.name", file.toString(), 8),
                        org.assertj.core.groups.Tuple.tuple("t1", "peer.public-key", file.toString(), 9));
    }

    /** {@link Fixture#minimal()} with {@code keepalive.persistent = 25s} in site-b's block. */
    private String withKeepalive() {
        return fx.minimal().replace("      peer {", "      keepalive { persistent = 25s }\n      peer {");
    }
}
