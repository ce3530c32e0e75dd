package dev.culvert.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.culvert.crypto.ChaCha20Poly1305Factory.Implementation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ChaCha20Poly1305FactoryTest {

    @AfterEach
    void clearProperty() {
        System.clearProperty(ChaCha20Poly1305Factory.PROPERTY);
    }

    @Test
    void defaultsToJdk() {
        System.clearProperty(ChaCha20Poly1305Factory.PROPERTY);
        assertThat(ChaCha20Poly1305Factory.configured()).isEqualTo(Implementation.JDK);
        try (DataCipher cipher = DataCipher.forKey(new byte[32])) {
            assertThat(cipher.implementation()).isEqualTo(Implementation.JDK);
        }
    }

    @Test
    void propertySelectsBouncyCastle() {
        System.setProperty(ChaCha20Poly1305Factory.PROPERTY, "bc");
        try (DataCipher cipher = DataCipher.forKey(new byte[32])) {
            assertThat(cipher.implementation()).isEqualTo(Implementation.BOUNCY_CASTLE);
        }
    }

    @Test
    void parseIsCaseInsensitiveAndNamesTheBadValue() {
        assertThat(ChaCha20Poly1305Factory.parse(" JDK ")).isEqualTo(Implementation.JDK);
        assertThat(ChaCha20Poly1305Factory.parse("Bc")).isEqualTo(Implementation.BOUNCY_CASTLE);
        System.setProperty(ChaCha20Poly1305Factory.PROPERTY, "openssl");
        assertThatThrownBy(ChaCha20Poly1305Factory::configured)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("openssl").hasMessageContaining(ChaCha20Poly1305Factory.PROPERTY);
    }
}
