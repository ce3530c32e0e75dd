package dev.culvert.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** A UDP socket bound to one address family cannot send to the other (EAFNOSUPPORT); a wildcard takes both. */
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
    void aWildcardSocketReachesBoth() {
        assertThat(Tunnel.reachableFrom(at("::"), at("192.0.2.2"))).isTrue();
        assertThat(Tunnel.reachableFrom(at("0.0.0.0"), at("2001:db8:1::2"))).isTrue();
    }
}
