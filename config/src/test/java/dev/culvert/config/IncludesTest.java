package dev.culvert.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11 item 7: an {@code include} is read next to the file that holds it, at every depth and whatever the
 * config path looks like: {@code check-config main.conf} used to find nothing for {@code include "tunnels.conf"}
 * (Typesafe looked on the classpath when the path had no directory part) while {@code ./main.conf} worked.
 */
class IncludesTest {

    @TempDir
    Path dir;
    Fixture fx;

    @BeforeEach
    void setUp() {
        fx = new Fixture(dir);
    }

    private static final String TUNNEL = """
            culvert.tunnels.site-b {
              device { address = "198.18.0.1/30" }
              peer { public-key = "$PUB1", endpoint = "203.0.113.7:51820", allowed-ips = ["198.18.0.2/32"] }
            }
            """;

    private String main(String include) {
        return fx.fill("""
                culvert {
                  private-key-file = "$KEY"
                  listen { udp = ":51820" }
                }
                """) + include + "\n";
    }

    @Test
    void aConfigPathWithoutADirectoryPartFindsItsIncludes() throws Exception {
        // The working directory is the module's; the files are named uniquely and removed afterwards.
        String stem = "includes-test-" + UUID.randomUUID();
        Path main = Path.of(stem + "-main.conf");
        Path included = Path.of(stem + "-tunnels.conf");
        try {
            Files.writeString(included, fx.fill(TUNNEL));
            Files.writeString(main, main("include \"" + included + "\""));
            assertThat(main.getParent()).isNull();

            CulvertConfig config = ConfigLoader.load(main);

            assertThat(config.tunnels()).containsOnlyKeys("site-b");
            assertThat(ConfigLoader.load(Path.of(".").resolve(main)).tunnels()).containsOnlyKeys("site-b");
        } finally {
            Files.deleteIfExists(main);
            Files.deleteIfExists(included);
        }
    }

    @Test
    void nestedIncludesAreReadNextToTheFileThatIncludesThem() throws Exception {
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("main.conf"), main("include \"sub/outer.conf\""));
        Files.writeString(dir.resolve("sub/outer.conf"), "include \"inner.conf\"\n");
        Files.writeString(dir.resolve("sub/inner.conf"), fx.fill(TUNNEL));
        // a decoy where the working directory or the main file's directory would find it
        Files.writeString(dir.resolve("inner.conf"), fx.fill(TUNNEL).replace("site-b", "decoy"));

        CulvertConfig config = ConfigLoader.load(dir.resolve("main.conf"));

        assertThat(config.tunnels()).containsOnlyKeys("site-b");
    }

    @Test
    void fileIncludesAreRelativeToTheIncludingFileNotTheWorkingDirectory() throws Exception {
        Files.writeString(dir.resolve("main.conf"), main("include required(file(\"tunnels.conf\"))"));
        Files.writeString(dir.resolve("tunnels.conf"), fx.fill(TUNNEL));

        assertThat(ConfigLoader.load(dir.resolve("main.conf")).tunnels()).containsOnlyKeys("site-b");
    }

    @Test
    void textParsedUnderAFileNameIncludesNextToThatName() throws Exception {
        Files.writeString(dir.resolve("tunnels.conf"), fx.fill(TUNNEL));

        CulvertConfig config = ConfigLoader.parse(main("include \"tunnels.conf\""), dir.resolve("main.conf").toString());

        assertThat(config.tunnels()).containsOnlyKeys("site-b");
    }

    @Test
    void aRequiredIncludeThatIsMissingIsAnErrorNamingTheFile() {
        ConfigException e = org.assertj.core.api.Assertions.catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.parse(main("include required(\"absent.conf\")"), dir.resolve("main.conf").toString()));

        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains("absent.conf");
    }

    @Test
    void problemsInAnIncludedFileNameThatFileAndLine() throws Exception {
        Files.writeString(dir.resolve("main.conf"), main("include \"tunnels.conf\""));
        Files.writeString(dir.resolve("tunnels.conf"), fx.fill(TUNNEL).replace("198.18.0.1/30", "198.18.0.1/33"));

        ConfigException e = org.assertj.core.api.Assertions.catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.load(dir.resolve("main.conf")));

        assertThat(e).isNotNull();
        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.origin()).endsWith("tunnels.conf");
            assertThat(p.line()).isEqualTo(2);
        });
    }
}
