package dev.culvert.config;

import static dev.culvert.config.Fixture.ORIGIN;
import static dev.culvert.config.Fixture.lineOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** culvert.tunnels.NAME.device.existing: false (default: create the device) or true (adopt an existing one). */
class DeviceExistingKeyTest {

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

    @Test
    void defaultsToCreatingTheDevice() throws Exception {
        assertThat(fx.parse(fx.minimal()).tunnels().get("site-b").device().existing()).isFalse();
        assertThat(fx.parse(withDevice("existing = null")).tunnels().get("site-b").device().existing()).isFalse();
    }

    @Test
    void trueAdoptsAndFalseCreates() throws Exception {
        assertThat(fx.parse(withDevice("existing = true")).tunnels().get("site-b").device().existing()).isTrue();
        assertThat(fx.parse(withDevice("existing = yes")).tunnels().get("site-b").device().existing()).isTrue();
        assertThat(fx.parse(withDevice("existing = false")).tunnels().get("site-b").device().existing()).isFalse();
    }

    @Test
    void aValueThatIsNoBooleanIsAProblemWithFileLineAndKey() {
        String text = withDevice("existing = maybe");

        assertThat(fx.problem(text).toString()).isEqualTo(ORIGIN + ":" + lineOf(text, "existing = maybe") + ": "
                + TUNNEL + "device.existing: must be true or false (got 'maybe')");
    }

    @Test
    void aMisspelledKeyGetsAHint() {
        String text = withDevice("exsting = true");

        assertThat(fx.problem(text).toString()).contains(TUNNEL + "device.exsting: unknown key 'exsting'; did you "
                + "mean 'existing'?");
    }
}
