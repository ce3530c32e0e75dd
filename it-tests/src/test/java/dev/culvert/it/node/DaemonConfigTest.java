package dev.culvert.it.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DaemonConfigTest {

    private static final String KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

    @Test
    void offloadSettingsLandAtTheAgreedKeys() {
        String text = DaemonConfig.of(Path.of("/k"), Path.of("/s")).udpOffload(TunnelBlock.OFFLOAD_OFF)
                .tunnel(TunnelBlock.tap("t1", "cv0", KEY).withAddress("198.18.0.1/30")
                        .withOffload(TunnelBlock.OFFLOAD_AUTO))
                .render();

        Config config = ConfigFactory.parseString(text).getConfig("culvert");

        assertThat(config.getString("udp-offload")).isEqualTo("off");
        assertThat(config.getString("tunnels.t1.device.offload")).isEqualTo("auto");
        assertThat(config.getString("tunnels.t1.device.mode")).isEqualTo("tap");
        assertThat(config.getString("tunnels.t1.device.address")).isEqualTo("198.18.0.1/30");
    }

    @Test
    void unsetOffloadSettingsAreLeftToTheDaemonsDefaults() {
        String text = DaemonConfig.of(Path.of("/k"), Path.of("/s"))
                .tunnel(TunnelBlock.tun("t1", "cv0", "198.18.0.1/30", KEY, "198.18.0.2/32")).render();

        Config config = ConfigFactory.parseString(text).getConfig("culvert");

        assertThat(config.hasPath("udp-offload")).isFalse();
        assertThat(config.hasPath("tunnels.t1.device.offload")).isFalse();
    }
}
