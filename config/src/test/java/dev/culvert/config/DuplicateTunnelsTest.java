package dev.culvert.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11 item 7: two {@code tunnels} blocks with the same name used to be merged silently into one tunnel; now
 * they are refused with both places, in one file or across an include.
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
        ConfigProblem p = fx.problems(TWICE).stream().filter(q -> q.message().contains("defined 2 times"))
                .findFirst().orElseThrow(() -> new AssertionError(fx.problems(TWICE)));

        int first = Fixture.lineOf(TWICE, "site-b {");
        int second = TWICE.lines().toList().lastIndexOf("    site-b {") + 1;
        assertThat(second).isGreaterThan(first);
        assertThat(p.origin()).isEqualTo(Fixture.ORIGIN);
        assertThat(p.line()).isEqualTo(first);
        assertThat(p.keyPath()).isEqualTo("culvert.tunnels.site-b");
        assertThat(p.message()).contains("site-a.conf:" + first, "site-a.conf:" + second, "defined 2 times");
    }

    @Test
    void twoTunnelsBlocksWithTheSameTunnelAreRefusedToo() {
        String text = """
                culvert {
                  private-key-file = "$KEY"
                  listen { udp = ":51820" }
                  tunnels { site-b { device { address = "198.18.0.1/30" } } }
                  tunnels { site-b { peer { public-key = "$PUB1", allowed-ips = ["198.18.0.2/32"] } } }
                }
                """;

        assertThat(fx.problems(text)).anySatisfy(p -> assertThat(p.message())
                .contains("site-a.conf:4", "site-a.conf:5", "defined 2 times"));
    }

    @Test
    void aTunnelInTheMainFileAndAnIncludedOneIsRefusedWithBothFiles() throws Exception {
        Files.writeString(dir.resolve("more.conf"), fx.fill("""
                culvert.tunnels.site-b {
                  device { address = "198.18.0.9/30" }
                }
                """));
        Files.writeString(dir.resolve("main.conf"), fx.fill(fx.minimal()) + "include \"more.conf\"\n");

        ConfigException e = org.assertj.core.api.Assertions.catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.load(dir.resolve("main.conf")));

        assertThat(e).isNotNull();
        assertThat(e.problems()).anySatisfy(p -> assertThat(p.message())
                .contains("main.conf:5", "more.conf:1", "defined 2 times"));
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
                      device { address = "198.18.0.1/30" }
                    }
                    site-e =
                      { device = { address = "198.18.0.5/30" } }
                  }
                }
                """;

        var found = DuplicateTunnels.find(text, "t.conf", Path.of("t.conf"));

        assertThat(found.keySet()).containsExactly("site.b", "site-c", "site-d", "site-e");
        assertThat(found.get("site-d")).containsExactly(new DuplicateTunnels.Place("t.conf", 15));
        assertThat(found.get("site-e")).containsExactly(new DuplicateTunnels.Place("t.conf", 19));
        assertThat(found.get("site.b")).containsExactly(new DuplicateTunnels.Place("t.conf", 3));
        assertThat(found.get("site-c")).containsExactly(new DuplicateTunnels.Place("t.conf", 9),
                new DuplicateTunnels.Place("t.conf", 13));
    }
}
