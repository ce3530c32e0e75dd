package dev.culvert.config;

import static dev.culvert.config.Fixture.ORIGIN;
import static dev.culvert.config.Fixture.lineOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** culvert.tunnels.NAME.device.offload and culvert.udp-offload: auto (default) or off. */
class OffloadKeysTest {

    private static final String TUNNEL = "culvert.tunnels.site-b.";

    @TempDir
    Path dir;
    Fixture fx;

    @BeforeEach
    void setUp() {
        fx = new Fixture(dir);
    }

    private String withDevice(String line) {
        return fx.minimal().replace("device {", "device {\n " + line + "\n");
    }

    private String withGlobal(String line) {
        return fx.minimal().replace("  listen {", "  " + line + "\n  listen {");
    }

    @Test
    void bothDefaultToAuto() throws Exception {
        CulvertConfig config = fx.parse(fx.minimal());

        assertThat(config.udpOffload()).isTrue();
        assertThat(config.tunnels().get("site-b").device().offload()).isTrue();
    }

    @Test
    void offTurnsThemOffInAnyCaseAndAutoOrNullKeepsThemOn() throws Exception {
        assertThat(fx.parse(withDevice("offload = off")).tunnels().get("site-b").device().offload()).isFalse();
        assertThat(fx.parse(withDevice("offload = OFF")).tunnels().get("site-b").device().offload()).isFalse();
        assertThat(fx.parse(withDevice("offload = auto")).tunnels().get("site-b").device().offload()).isTrue();
        assertThat(fx.parse(withDevice("offload = null")).tunnels().get("site-b").device().offload()).isTrue();

        assertThat(fx.parse(withGlobal("udp-offload = off")).udpOffload()).isFalse();
        assertThat(fx.parse(withGlobal("udp-offload = \"Off\"")).udpOffload()).isFalse();
        assertThat(fx.parse(withGlobal("udp-offload = auto")).udpOffload()).isTrue();
        assertThat(fx.parse(withGlobal("udp-offload = null")).udpOffload()).isTrue();
    }

    @Test
    void theTwoKeysAreIndependent() throws Exception {
        CulvertConfig config = fx.parse(withGlobal("udp-offload = off"));
        assertThat(config.tunnels().get("site-b").device().offload()).isTrue();

        config = fx.parse(withDevice("offload = off"));
        assertThat(config.udpOffload()).isTrue();
    }

    @Test
    void aValueOtherThanAutoOrOffIsAProblemNamingBoth() {
        assertOneProblem(withDevice("offload = on"), "offload = on", TUNNEL + "device.offload",
                "must be one of auto, off (got 'on')");
        assertOneProblem(withDevice("offload = false"), "offload = false", TUNNEL + "device.offload",
                "must be one of auto, off (got 'false')");
        assertOneProblem(withGlobal("udp-offload = gso"), "udp-offload = gso", "culvert.udp-offload",
                "must be one of auto, off (got 'gso')");
        assertOneProblem(withGlobal("udp-offload = 0"), "udp-offload = 0", "culvert.udp-offload",
                "must be one of auto, off (got '0')");
    }

    @Test
    void aListOrBlockIsAProblemToo() {
        assertThat(fx.problem(withDevice("offload = [off]")).toString())
                .contains(TUNNEL + "device.offload");
        assertThat(fx.problem(withGlobal("udp-offload { gso = off }")).toString())
                .contains("culvert.udp-offload");
    }

    @Test
    void aMisspelledKeyIsAnUnknownKeyWithAHint() {
        assertOneProblem(withDevice("ofload = off"), "ofload", TUNNEL + "device.ofload",
                "unknown key 'ofload'; did you mean 'offload'?");
        assertOneProblem(withGlobal("udp-ofload = off"), "udp-ofload", "culvert.udp-ofload",
                "unknown key 'udp-ofload'; did you mean 'udp-offload'?");
        assertThat(fx.problem(withGlobal("offload = off")).toString())
                .as("the device key at the top level is unknown there")
                .contains("culvert.offload: unknown key 'offload'");
    }

    private void assertOneProblem(String text, String marker, String keyPath, String message) {
        ConfigProblem problem = fx.problem(text);
        assertThat(problem.toString()).isEqualTo(ORIGIN + ":" + lineOf(text, marker) + ": " + keyPath + ": " + message);
    }
}
