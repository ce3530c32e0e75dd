package dev.culvert.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 11 item 7: device.address must carry a prefix length; a bare address used to be taken as /32. */
class AddressPrefixTest {

    @TempDir
    Path dir;
    Fixture fx;

    @BeforeEach
    void setUp() {
        fx = new Fixture(dir);
    }

    @Test
    void aBareIpv4AddressIsRefusedWithTheFix() {
        String text = fx.minimal().replace("198.18.0.1/30", "198.18.9.1");

        ConfigProblem p = fx.problem(text);

        assertThat(p.keyPath()).isEqualTo("culvert.tunnels.site-b.device.address");
        assertThat(p.line()).isEqualTo(Fixture.lineOf(text, "198.18.9.1"));
        assertThat(p.message()).contains("needs a prefix length", "198.18.9.1/30", "198.18.9.1/32");
    }

    @Test
    void aBareIpv6AddressIsRefusedWithTheFix() {
        ConfigProblem p = fx.problem(fx.minimal().replace("198.18.0.1/30", "2001:db8::1"));

        assertThat(p.message()).contains("needs a prefix length", "2001:db8::1/64", "2001:db8::1/128");
    }

    @Test
    void addressesWithAPrefixAreTakenAsWritten() throws Exception {
        assertThat(fx.parse(fx.minimal().replace("198.18.0.1/30", "198.18.9.1/32")).tunnels().get("site-b")
                .device().address()).contains(Cidr.parse("198.18.9.1/32"));
        assertThat(fx.parse(fx.minimal().replace("198.18.0.1/30", "2001:db8::1/64")).tunnels().get("site-b")
                .device().address()).contains(Cidr.parse("2001:db8::1/64"));
    }
}
