package dev.culvert.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {

    @Test
    void parsesAndPrints() throws Exception {
        Cidr v4 = Cidr.parse("198.18.0.1/30");
        assertThat(v4.address()).isEqualTo(InetAddress.getByName("198.18.0.1"));
        assertThat(v4.prefixLength()).isEqualTo(30);
        assertThat(v4.isIpv4()).isTrue();
        assertThat(v4).hasToString("198.18.0.1/30");

        Cidr v6 = Cidr.parse("2001:DB8:0:0:0:0:0:1/64");
        assertThat(v6.isIpv4()).isFalse();
        assertThat(v6).hasToString("2001:db8::1/64");
        assertThat(Cidr.parse("::/0")).hasToString("::/0");
        assertThat(Cidr.parse("2001:db8:0:1:0:0:1:1/128")).hasToString("2001:db8:0:1::1:1/128");
        assertThat(Cidr.parse("2001:db8:0:1:1:1:1:1/128")).hasToString("2001:db8:0:1:1:1:1:1/128");
    }

    @Test
    void aBareAddressIsOneHost() {
        assertThat(Cidr.parse("198.18.0.2")).isEqualTo(Cidr.parse("198.18.0.2/32"));
        assertThat(Cidr.parse("2001:db8::2").prefixLength()).isEqualTo(128);
    }

    @Test
    void ipv4MappedStaysIpv6() {
        Cidr mapped = Cidr.parse("::ffff:198.18.0.0/112");
        assertThat(mapped.isIpv4()).isFalse();
        assertThat(mapped.hasHostBits()).isFalse();
        assertThat(mapped.network()).isEqualTo(mapped);
    }

    @Test
    void containsComparesThePrefixBitsOnly() throws Exception {
        Cidr net = Cidr.parse("198.18.0.0/15");
        assertThat(net.contains(InetAddress.getByName("198.19.255.255"))).isTrue();
        assertThat(net.contains(InetAddress.getByName("198.20.0.0"))).isFalse();
        assertThat(net.contains(InetAddress.getByName("2001:db8::1"))).isFalse();
        assertThat(Cidr.parse("0.0.0.0/0").contains(InetAddress.getByName("203.0.113.9"))).isTrue();
        assertThat(Cidr.parse("2001:db8::/33").contains(InetAddress.getByName("2001:db8:7fff::1"))).isTrue();
        assertThat(Cidr.parse("2001:db8::/33").contains(InetAddress.getByName("2001:db8:8000::1"))).isFalse();
    }

    @Test
    void networkClearsHostBits() {
        assertThat(Cidr.parse("198.51.100.7/24").network()).isEqualTo(Cidr.parse("198.51.100.0/24"));
        assertThat(Cidr.parse("198.51.100.7/24").hasHostBits()).isTrue();
        assertThat(Cidr.parse("198.51.100.0/24").hasHostBits()).isFalse();
        assertThat(Cidr.parse("198.18.255.255/15").network()).hasToString("198.18.0.0/15");
        assertThat(Cidr.parse("2001:db8::1/64").network()).hasToString("2001:db8::/64");
        assertThat(Cidr.parse("198.51.100.7/0").network()).hasToString("0.0.0.0/0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/24", "198.18.0.1/", "198.18.0.1/33", "198.18.0.1/-1", "198.18.0.1/ 24",
        "198.18.0.1/24/1", "2001:db8::/129", "198.018.0.1/24", "198.18.0/24", "198.18.0.0.0/24", "127.1",
        "0x7f.0.0.1/8", "host.example/24", "2001:db8::%eth0/64", "2001:db8:::1/64", ".::1", "fe80::1%1",
        "198.18.0.1/0024"})
    void rejectsNonsense(String text) {
        assertThatThrownBy(() -> Cidr.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'");
    }

    @Test
    void constructorChecksThePrefixAgainstTheFamily() throws Exception {
        InetAddress v4 = InetAddress.getByName("198.18.0.1");
        assertThatThrownBy(() -> new Cidr(v4, 33)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prefix length must be between 0 and 32 (got 33)");
    }
}
