package dev.culvert.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SecretsTest {

    @Test
    void wipeZeroesEveryArrayAndSkipsNull() {
        byte[] a = {1, 2, 3};
        byte[] b = {4};
        Secrets.wipe(a, null, b);
        assertThat(a).containsOnly(0);
        assertThat(b).containsOnly(0);
    }

    @Test
    void constantTimeEquals() {
        assertThat(Secrets.constantTimeEquals(new byte[] {1, 2}, new byte[] {1, 2})).isTrue();
        assertThat(Secrets.constantTimeEquals(new byte[] {1, 2}, new byte[] {1, 3})).isFalse();
        assertThat(Secrets.constantTimeEquals(new byte[] {1, 2}, new byte[] {1})).isFalse();
        assertThat(Secrets.constantTimeEquals(null, new byte[0])).isFalse();
        assertThat(Secrets.constantTimeEquals(new byte[0], new byte[0])).isTrue();
    }
}
