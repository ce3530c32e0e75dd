package dev.culvert.crypto;

import static dev.culvert.crypto.Hex.bytes;
import static dev.culvert.crypto.Hex.hex;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KdfTest {

    private static final byte[] CHAINING_KEY =
            bytes("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f");
    private static final byte[] INPUT = "input keying material".getBytes(US_ASCII);

    @Test
    void matchesValuesFromPythonHmacBlake2s() {
        // Computed once with Python 3's hmac + hashlib.blake2s following the WireGuard paper's KDF definition.
        byte[][] out = Kdf.kdf(CHAINING_KEY, INPUT, 3);
        assertThat(hex(out[0])).isEqualTo("599e28ff4883e06bc2128e235cb0a407b9b2bc82c16f3696b635ff069e3e1b4a");
        assertThat(hex(out[1])).isEqualTo("a875d81936b437edc34f02b2ed441f842c9776322647eaa789d275b08c34f7e2");
        assertThat(hex(out[2])).isEqualTo("3d8ab924d5554fad9c4e454434ee3905535d974747ec9dcad3c5784bd5a5ca67");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void matchesHandWrittenHkdf(int n) {
        byte[][] expected = handWrittenHkdf(CHAINING_KEY, INPUT, n);
        byte[][] actual = Kdf.kdf(CHAINING_KEY, INPUT, n);
        assertThat(actual).hasNumberOfRows(n);
        for (int i = 0; i < n; i++) {
            assertThat(actual[i]).as("output %d of %d", i + 1, n).isEqualTo(expected[i]).hasSize(32);
        }
    }

    @Test
    void fewerOutputsArePrefixesOfMore() {
        assertThat(Kdf.kdf(CHAINING_KEY, new byte[0], 1)[0]).isEqualTo(Kdf.kdf(CHAINING_KEY, new byte[0], 3)[0]);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 4, -1})
    void rejectsOutputCountOutsideOneToThree(int n) {
        assertThatThrownBy(() -> Kdf.kdf(CHAINING_KEY, INPUT, n))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(String.valueOf(n));
    }

    /** RFC 5869 extract-then-expand with an empty info and HMAC-BLAKE2s, written out independently. */
    private static byte[][] handWrittenHkdf(byte[] salt, byte[] ikm, int n) {
        byte[] prk = Blake2s.hmac(salt, ikm);
        byte[][] out = new byte[n][];
        byte[] t = new byte[0];
        for (int i = 1; i <= n; i++) {
            byte[] block = Blake2sTest.concat(t, new byte[] {(byte) i});
            t = Blake2s.hmac(prk, block);
            out[i - 1] = t;
        }
        return out;
    }
}
