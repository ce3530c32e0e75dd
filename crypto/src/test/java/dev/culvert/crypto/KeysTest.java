package dev.culvert.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeysTest {

    @Test
    void parsesWhatWgGenkeyPrintsIncludingItsNewline() {
        byte[] key = Keys.parse(X25519Test.WG_PRIVATE + "\n");
        assertThat(key).hasSize(Keys.KEY_LENGTH);
        assertThat(Keys.encode(key)).isEqualTo(X25519Test.WG_PRIVATE);
        // wg genkey clamps, as X25519.generatePrivateKey does.
        assertThat(key[0] & 7).isZero();
        assertThat(key[31] & 0xC0).isEqualTo(0x40);
    }

    @Test
    void encodeIsFortyFourCharactersWithOnePad() {
        String text = Keys.encode(Keys.generatePresharedKey(new SecureRandom()));
        assertThat(text).hasSize(Keys.ENCODED_LENGTH).endsWith("=").doesNotEndWith("==");
    }

    @Test
    void roundTrip() {
        byte[] key = Keys.generatePresharedKey(new SecureRandom());
        assertThat(Keys.parse(Keys.encode(key))).isEqualTo(key);
    }

    @Test
    void generatedPresharedKeysDiffer() {
        SecureRandom rnd = new SecureRandom();
        assertThat(Keys.generatePresharedKey(rnd)).hasSize(32).isNotEqualTo(Keys.generatePresharedKey(rnd));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",                                                  // empty
            "aOl0MWlbq0xmn1i5YGqOIhuEG576DfXc7VeZMf95YG=",       // 43 characters
            "aOl0MWlbq0xmn1i5YGqOIhuEG576DfXc7VeZMf95YGkA",      // 44 characters, 33 bytes
            "aOl0MWlbq0xmn1i5YGqOIhuEG576DfXc7VeZMf95Y!k=",      // not base64
            "aOl0MWlbq0xmn1i5YGqOIhuEG576DfXc7VeZMf95Y-k=",      // URL-safe alphabet, not WireGuard's
            "aOl0MWlbq0xmn1i5YGqOIhuEG576DfXc7VeZMf95YGk=aOl0MWlbq0xmn1i5YGqOIhuEG576DfXc7VeZMf95YGk=",
    })
    void rejectsBadTextWithoutEchoingIt(String text) {
        assertThatThrownBy(() -> Keys.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> {
                    assertThat(e.getCause()).isNull();
                    if (text.length() > 4) {
                        assertThat(e.getMessage()).doesNotContain(text).doesNotContain(text.substring(0, 8));
                    }
                });
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> Keys.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void encodeRejectsWrongLength() {
        assertThatThrownBy(() -> Keys.encode(new byte[16])).isInstanceOf(IllegalArgumentException.class);
    }
}
