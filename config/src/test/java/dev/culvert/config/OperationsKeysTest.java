package dev.culvert.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** culvert.log-level, culvert.metrics.bind and culvert.control.socket: defaults, settings, errors. */
class OperationsKeysTest {

    private static final String MINIMAL_HEAD = "culvert {\n  private-key-file = \"$KEY\"\n";
    private static final String MINIMAL_TAIL =
            "  tunnels.t1.peer { public-key = \"$PUB1\", endpoint = \"203.0.113.7:51820\" }\n}\n";

    @TempDir
    Path dir;
    Fixture fx;

    @BeforeEach
    void setUp() {
        fx = new Fixture(dir);
    }

    @Test
    void defaultsAreLoopbackMetricsDerivedSocketAndInfo() throws Exception {
        CulvertConfig config = fx.parse(MINIMAL_HEAD + MINIMAL_TAIL);

        assertThat(config.metricsBind()).contains(new InetSocketAddress("127.0.0.1", 9586));
        assertThat(config.controlSocket()).isEqualTo(Path.of("/run/culvert/site-a/control.sock"));
        assertThat(config.logLevel()).isEqualTo("info");
        assertThat(config.aead()).isEqualTo("auto");
    }

    @Test
    void aeadNamesAnImplementationCaseInsensitivelyAndNullMeansAuto() throws Exception {
        assertThat(fx.parse(MINIMAL_HEAD + "  aead = Conscrypt\n" + MINIMAL_TAIL).aead()).isEqualTo("conscrypt");
        assertThat(fx.parse(MINIMAL_HEAD + "  aead = jdk\n" + MINIMAL_TAIL).aead()).isEqualTo("jdk");
        assertThat(fx.parse(MINIMAL_HEAD + "  aead = bc\n" + MINIMAL_TAIL).aead()).isEqualTo("bc");
        assertThat(fx.parse(MINIMAL_HEAD + "  aead = null\n" + MINIMAL_TAIL).aead()).isEqualTo("auto");
    }

    @Test
    void unknownAeadIsAProblemListingTheChoices() {
        assertThat(fx.problem(MINIMAL_HEAD + "  aead = openssl\n" + MINIMAL_TAIL).toString())
                .contains("culvert.aead: must be one of auto, jdk, conscrypt, bc (got 'openssl')");
    }

    @Test
    void keysAreRead() throws Exception {
        CulvertConfig config = fx.parse(MINIMAL_HEAD + "  log-level = DEBUG\n  metrics.bind = \":9100\"\n"
                + "  control.socket = \"" + dir.resolve("ctl/site-a.sock") + "\"\n" + MINIMAL_TAIL);

        assertThat(config.metricsBind()).contains(new InetSocketAddress(ListenAddress.IPV6_WILDCARD, 9100));
        assertThat(config.controlSocket()).isEqualTo(dir.resolve("ctl/site-a.sock"));
        assertThat(config.logLevel()).isEqualTo("debug");
    }

    @Test
    void metricsOffTurnsThemOffAndNullMeansTheDefault() throws Exception {
        assertThat(fx.parse(MINIMAL_HEAD + "  metrics.bind = off\n" + MINIMAL_TAIL).metricsBind()).isEmpty();
        assertThat(fx.parse(MINIMAL_HEAD + "  metrics.bind = null\n" + MINIMAL_TAIL).metricsBind())
                .contains(CulvertConfig.DEFAULT_METRICS_BIND);
    }

    @Test
    void badValuesAreProblems() {
        assertThat(fx.problem(MINIMAL_HEAD + "  log-level = loud\n" + MINIMAL_TAIL).toString())
                .contains("culvert.log-level: must be one of error, warn, info, debug, trace");
        assertThat(fx.problem(MINIMAL_HEAD + "  metrics.bind = \"localhost:9586\"\n" + MINIMAL_TAIL).toString())
                .contains("culvert.metrics.bind:").contains("must be an IP address");
    }

    @Test
    void derivedSocketNameDropsOnlyTheConfSuffix() {
        assertThat(CulvertConfig.defaultControlSocket(Path.of("/etc/culvert/site-b.conf")))
                .isEqualTo(Path.of("/run/culvert/site-b/control.sock"));
        assertThat(CulvertConfig.defaultControlSocket(Path.of("/tmp/x.hocon")))
                .isEqualTo(Path.of("/run/culvert/x.hocon/control.sock"));
    }
}
