package dev.culvert.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/**
 * A UDP socket bound to one address family cannot send to the other (EAFNOSUPPORT); {@code [::]} takes both, and
 * {@code 0.0.0.0} is an IPv4-only socket (issue 11 item 10).
 */
class ListenAddressReachesTest {
    private static InetSocketAddress at(String host) {
        return new InetSocketAddress(host, 51820);
    }

    private static InetAddress ip(String literal) {
        return IpLiterals.parse(literal);
    }

    @Test
    void aSocketBoundToOneFamilyReachesOnlyThatFamily() {
        assertThat(ListenAddress.reaches(at("192.0.2.1"), ip("2001:db8:1::2"))).isFalse();
        assertThat(ListenAddress.reaches(at("2001:db8:1::1"), ip("192.0.2.2"))).isFalse();
        assertThat(ListenAddress.reaches(at("192.0.2.1"), ip("192.0.2.2"))).isTrue();
        assertThat(ListenAddress.reaches(at("2001:db8:1::1"), ip("2001:db8:1::2"))).isTrue();
    }

    @Test
    void theIpv6WildcardReachesBoth() {
        assertThat(ListenAddress.reaches(at("::"), ip("192.0.2.2"))).isTrue();
        assertThat(ListenAddress.reaches(at("::"), ip("2001:db8:1::2"))).isTrue();
    }

    @Test
    void theIpv4WildcardReachesIpv4Only() {
        assertThat(ListenAddress.reaches(at("0.0.0.0"), ip("192.0.2.2"))).isTrue();
        assertThat(ListenAddress.reaches(at("0.0.0.0"), ip("2001:db8:1::2"))).isFalse();
    }
}
