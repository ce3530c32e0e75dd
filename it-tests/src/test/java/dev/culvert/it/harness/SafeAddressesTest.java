package dev.culvert.it.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SafeAddressesTest {

    @Test
    void documentationRangesAreUnderlays() {
        assertThat(SafeAddresses.requireUnderlay("192.0.2.1/24")).isEqualTo("192.0.2.1/24");
        assertThat(SafeAddresses.requireUnderlay("198.51.100.7:51820")).isEqualTo("198.51.100.7:51820");
        assertThat(SafeAddresses.requireUnderlay("203.0.113.255")).isEqualTo("203.0.113.255");
    }

    @Test
    void benchmarkingRangeIsTheOnlyOverlay() {
        assertThat(SafeAddresses.requireOverlay("198.18.0.1/30")).isEqualTo("198.18.0.1/30");
        assertThat(SafeAddresses.requireOverlay("198.19.255.0/24")).isEqualTo("198.19.255.0/24");
        assertThatThrownBy(() -> SafeAddresses.requireOverlay("198.20.0.1/32")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void privateAndPublicAddressesAreRefused() {
        for (String address : new String[] {"10.0.0.1/24", "172.16.0.1", "192.168.1.1:51820", "8.8.8.8", "0.0.0.0/0"}) {
            assertThatThrownBy(() -> SafeAddresses.requireUnderlay(address))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(address);
        }
    }

    @Test
    void aPrefixWiderThanTheRangeIsRefused() {
        assertThat(SafeAddresses.within("198.18.0.0/15", "198.18.0.0/15")).isTrue();
        assertThat(SafeAddresses.within("198.18.0.0/14", "198.18.0.0/15")).isFalse();
    }

    @Test
    void ipv6DocumentationPrefixIsAnUnderlayOutsideTheTunnelBlock() {
        assertThat(SafeAddresses.requireUnderlay("2001:db8:1::1/64")).isEqualTo("2001:db8:1::1/64");
        assertThat(SafeAddresses.requireUnderlay("[2001:db8:1::1]:51820")).isEqualTo("[2001:db8:1::1]:51820");
        assertThat(SafeAddresses.requireUnderlay("2001:db8::2")).isEqualTo("2001:db8::2");
        assertThatThrownBy(() -> SafeAddresses.requireUnderlay("2001:db8:ff::1/64"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kept for tunnels");
        for (String address : new String[] {"2001:db9::1", "fd00::1/64", "[2606:4700::1]:443", "::/0", "2001:db8::/31"}) {
            assertThatThrownBy(() -> SafeAddresses.requireUnderlay(address))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(address);
        }
    }

    @Test
    void ipv6TunnelAddressesComeFromTheirOwnBlock() {
        assertThat(SafeAddresses.requireOverlay("2001:db8:ff:1::1/64")).isEqualTo("2001:db8:ff:1::1/64");
        assertThat(SafeAddresses.requireOverlay("2001:db8:ff:1::2/128")).isEqualTo("2001:db8:ff:1::2/128");
        assertThatThrownBy(() -> SafeAddresses.requireOverlay("2001:db8:1::1/64")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SafeAddresses.requireOverlay("2001:db8:fe::/47")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void hostStripsPortsAndBrackets() {
        assertThat(SafeAddresses.host("192.0.2.1:51820")).isEqualTo("192.0.2.1");
        assertThat(SafeAddresses.host("[2001:db8:1::1]:51820")).isEqualTo("2001:db8:1::1");
        assertThat(SafeAddresses.host("2001:db8:1::1")).isEqualTo("2001:db8:1::1");
    }

    @Test
    void namesAndMalformedAddressesAreRefusedWithoutALookUp() {
        for (String address : new String[] {"example.com", "256.1.1.1", "192.0.2", "2001:db8:::1", "host:51820"}) {
            assertThatThrownBy(() -> SafeAddresses.requireUnderlay(address)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
