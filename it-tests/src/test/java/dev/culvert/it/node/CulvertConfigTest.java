package dev.culvert.it.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CulvertConfigTest {

    private static final String KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

    @Test
    void rendersTheContractShapeAsValidHocon() {
        PeerSpec peer = PeerSpec.of(KEY, "198.18.0.2/32").withEndpoint("192.0.2.2:51820")
                .withPresharedKey(Path.of("/tmp/psk"));
        String text = CulvertConfig.render(Path.of("/tmp/a.key"), Optional.of("192.0.2.1:51820"),
                new LinkSpec("cv0", "198.18.0.1/30", 1420, List.of("198.18.1.0/24")), peer);

        Config config = ConfigFactory.parseString(text).getConfig("culvert");

        assertThat(config.getString("private-key-file")).isEqualTo("/tmp/a.key");
        assertThat(config.getString("listen.udp")).isEqualTo("192.0.2.1:51820");
        Config tunnel = config.getConfig("tunnels.t1");
        assertThat(tunnel.getString("device.name")).isEqualTo("cv0");
        assertThat(tunnel.getString("device.mode")).isEqualTo("tun");
        assertThat(tunnel.getInt("device.mtu")).isEqualTo(1420);
        assertThat(tunnel.getString("device.address")).isEqualTo("198.18.0.1/30");
        assertThat(tunnel.getStringList("device.routes")).containsExactly("198.18.1.0/24");
        assertThat(tunnel.getString("peer.public-key")).isEqualTo(KEY);
        assertThat(tunnel.getString("peer.preshared-key-file")).isEqualTo("/tmp/psk");
        assertThat(tunnel.getString("peer.endpoint")).isEqualTo("192.0.2.2:51820");
        assertThat(tunnel.getStringList("peer.allowed-ips")).containsExactly("198.18.0.2/32");
        assertThat(tunnel.getString("transport")).isEqualTo("udp");
        assertThat(tunnel.getDuration("keepalive.persistent").getSeconds()).isZero();
    }

    @Test
    void aClientHasNoListenBlockAndAServerNoEndpoint() {
        String client = CulvertConfig.render(Path.of("/k"), Optional.empty(), LinkSpec.of("cv0", "198.18.0.2/30"),
                PeerSpec.of(KEY, "198.18.0.1/32").withEndpoint("192.0.2.1:51820"));
        String server = CulvertConfig.render(Path.of("/k"), Optional.of("192.0.2.1:51820"),
                LinkSpec.of("cv0", "198.18.0.1/30"), PeerSpec.of(KEY, "198.18.0.2/32"));

        assertThat(ConfigFactory.parseString(client).hasPath("culvert.listen")).isFalse();
        assertThat(ConfigFactory.parseString(server).hasPath("culvert.tunnels.t1.peer.endpoint")).isFalse();
    }

    @Test
    void addressesOutsideTheTestRangesAreRefused() {
        assertThatThrownBy(() -> LinkSpec.of("cv0", "10.0.0.1/24")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PeerSpec.of(KEY, "198.18.0.2/32").withEndpoint("192.168.1.1:51820"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
