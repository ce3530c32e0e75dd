package dev.culvert.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/**
 * A UDP socket bound to one address family cannot send to the other (EAFNOSUPPORT); {@code [::]} takes both, and
 * {@code 0.0.0.0} is an IPv4-only socket (issue 11 item 10).
 */
class TunnelReachableFromTest {
    private static InetSocketAddress at(String host) {
        return new InetSocketAddress(host, 51820);
    }

    @Test
    void aSocketBoundToOneFamilyReachesOnlyThatFamily() {
        assertThat(Tunnel.reachableFrom(at("192.0.2.1"), at("2001:db8:1::2"))).isFalse();
        assertThat(Tunnel.reachableFrom(at("2001:db8:1::1"), at("192.0.2.2"))).isFalse();
        assertThat(Tunnel.reachableFrom(at("192.0.2.1"), at("192.0.2.2"))).isTrue();
        assertThat(Tunnel.reachableFrom(at("2001:db8:1::1"), at("2001:db8:1::2"))).isTrue();
    }

    @Test
    void theIpv6WildcardReachesBoth() {
        assertThat(Tunnel.reachableFrom(at("::"), at("192.0.2.2"))).isTrue();
        assertThat(Tunnel.reachableFrom(at("::"), at("2001:db8:1::2"))).isTrue();
    }

    @Test
    void theIpv4WildcardReachesIpv4Only() {
        assertThat(Tunnel.reachableFrom(at("0.0.0.0"), at("192.0.2.2"))).isTrue();
        assertThat(Tunnel.reachableFrom(at("0.0.0.0"), at("2001:db8:1::2"))).isFalse();
    }
}
