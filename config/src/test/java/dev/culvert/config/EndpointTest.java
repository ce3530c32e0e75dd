package dev.culvert.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointTest {

    @Test
    void parsesHostPortForms() {
        assertThat(Endpoint.parse("203.0.113.7:51820")).isEqualTo(new Endpoint("203.0.113.7", 51820));
        assertThat(Endpoint.parse("vpn.example.net:443")).isEqualTo(new Endpoint("vpn.example.net", 443));
        assertThat(Endpoint.parse("vpn.example.net.:1")).isEqualTo(new Endpoint("vpn.example.net.", 1));
        assertThat(Endpoint.parse("[2001:db8::7]:65535")).isEqualTo(new Endpoint("2001:db8::7", 65535));
    }

    @Test
    void printsBackTheSameForm() {
        assertThat(Endpoint.parse("203.0.113.7:51820")).hasToString("203.0.113.7:51820");
        assertThat(Endpoint.parse("[2001:db8::7]:51820")).hasToString("[2001:db8::7]:51820");
        assertThat(Endpoint.parse("[2001:db8::7]:51820").isLiteral()).isTrue();
        assertThat(Endpoint.parse("vpn.example.net:51820").isLiteral()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ":51820", "203.0.113.7", "203.0.113.7:", "203.0.113.7:0", "203.0.113.7:65536",
        "203.0.113.7:http", "2001:db8::7:51820", "[2001:db8::7]51820", "[2001:db8::7:51820", "[host]:1",
        "under_score.example:1", "-lead.example:1", "a..b:1", "1.2.3:51820", "203.0.113.7:+1", "[]:1",
        "203.0.113.7: 51820"})
    void rejectsNonsense(String text) {
        assertThatThrownBy(() -> Endpoint.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void listenAddressesAllowAllAddressForms() throws Exception {
        assertThat(ListenAddress.parse(":51820")).isEqualTo(new InetSocketAddress(ListenAddress.IPV6_WILDCARD, 51820));
        assertThat(ListenAddress.parse("51820")).isEqualTo(new InetSocketAddress(ListenAddress.IPV6_WILDCARD, 51820));
        assertThat(ListenAddress.parse("0.0.0.0:51820"))
                .isEqualTo(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 51820));
        assertThat(ListenAddress.parse("[::]:51820"))
                .isEqualTo(new InetSocketAddress(InetAddress.getByName("::"), 51820));
        assertThatThrownBy(() -> ListenAddress.parse("localhost:51820"))
                .hasMessageContaining("must be an IP address to listen on");
        assertThatThrownBy(() -> ListenAddress.parse(":65536")).hasMessageContaining("port must be between");
        assertThatThrownBy(() -> ListenAddress.parse("")).isInstanceOf(IllegalArgumentException.class);
    }
}
