package dev.culvert.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SuggestionsTest {

    private static final List<String> DEVICE_KEYS = List.of("name", "mode", "mtu", "address", "routes");

    @Test
    void suggestsCloseKeys() {
        assertThat(Suggestions.closest("mut", DEVICE_KEYS)).contains("mtu");
        assertThat(Suggestions.closest("adress", DEVICE_KEYS)).contains("address");
        assertThat(Suggestions.closest("route", DEVICE_KEYS)).contains("routes");
        assertThat(Suggestions.closest("endpiont", List.of("public-key", "endpoint", "allowed-ips")))
                .contains("endpoint");
    }

    @Test
    void staysQuietWhenNothingIsClose() {
        assertThat(Suggestions.closest("compression", DEVICE_KEYS)).isEmpty();
        assertThat(Suggestions.closest("ab", DEVICE_KEYS)).isEmpty();
        assertThat(Suggestions.closest("x", List.of())).isEmpty();
    }

    @Test
    void distanceCountsASwapAsOneEdit() {
        assertThat(Suggestions.distance("mtu", "mut")).isEqualTo(1);
        assertThat(Suggestions.distance("kitten", "sitting")).isEqualTo(3);
        assertThat(Suggestions.distance("", "abc")).isEqualTo(3);
    }
}
