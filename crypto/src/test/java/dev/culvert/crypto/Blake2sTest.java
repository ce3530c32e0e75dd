package dev.culvert.crypto;

import static dev.culvert.crypto.Hex.bytes;
import static dev.culvert.crypto.Hex.hex;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class Blake2sTest {

    private static final byte[] KEY_0_TO_31 = bytes("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static final byte[] MESSAGE = "culvert mac1 test".getBytes(US_ASCII);
    private static final int HMAC_BLOCK = 64;

    @Test
    void hashOfAbcMatchesRfc7693AppendixB() {
        assertThat(hex(Blake2s.hash("abc".getBytes(US_ASCII))))
                .isEqualTo("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
    }

    @Test
    void hashOfPartsIsHashOfConcatenation() {
        // Three arrays would bind to hash(out32, a, b); pass an explicit array to hash three parts.
        assertThat(Blake2s.hash(new byte[][] {"a".getBytes(US_ASCII), "bc".getBytes(US_ASCII), new byte[0]}))
                .isEqualTo(Blake2s.hash("abc".getBytes(US_ASCII)));
    }

    @Test
    void wireGuardInitialChainingKeyIsHashOfConstruction() {
        // Ci = HASH("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"); expected hex computed once with Python 3
        // hashlib.blake2s and pasted here.
        assertThat(hex(Blake2s.hash("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".getBytes(US_ASCII))))
                .isEqualTo("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
    }

    @Test
    void chainingHashMayAliasItsFirstInput() {
        byte[] h = Blake2s.hash("seed".getBytes(US_ASCII));
        byte[] expected = Blake2s.hash(h, MESSAGE);
        Blake2s.hash(h, h, MESSAGE);
        assertThat(h).isEqualTo(expected);
    }

    @Test
    void chainingHashMayAliasItsSecondInput() {
        byte[] a = "prefix".getBytes(US_ASCII);
        byte[] b = Blake2s.hash(MESSAGE);
        byte[] expected = Blake2s.hash(a, b);
        Blake2s.hash(b, a, b);
        assertThat(b).isEqualTo(expected);
    }

    @Test
    void chainingHashRejectsWrongOutputLength() {
        assertThatThrownBy(() -> Blake2s.hash(new byte[16], MESSAGE, MESSAGE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("16");
    }

    @Test
    void keyedMacMatchesPythonHashlib() {
        // Expected values computed once with Python 3: hashlib.blake2s(msg, key=key, digest_size=16).hexdigest()
        assertThat(hex(Blake2s.mac(KEY_0_TO_31, MESSAGE))).isEqualTo("3c28af7937ffffa4bead8992200f96d9");
        assertThat(hex(Blake2s.mac(new byte[] {1}))).isEqualTo("95714fec355dea0dda4da4bebf429e17");
    }

    @Test
    void keyedMacOfPartsIsMacOfConcatenation() {
        assertThat(Blake2s.mac(KEY_0_TO_31, Arrays.copyOf(MESSAGE, 5), Arrays.copyOfRange(MESSAGE, 5, MESSAGE.length)))
                .isEqualTo(Blake2s.mac(KEY_0_TO_31, MESSAGE))
                .hasSize(Blake2s.MAC_LENGTH);
    }

    @Test
    void keyedMacRejectsEmptyAndOverlongKeys() {
        assertThatThrownBy(() -> Blake2s.mac(new byte[0], MESSAGE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Blake2s.mac(new byte[33], MESSAGE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("33");
    }

    @Test
    void hmacMatchesPythonHmacModule() {
        // Expected values computed once with Python 3: hmac.new(key, msg, hashlib.blake2s).hexdigest()
        assertThat(hex(Blake2s.hmac(KEY_0_TO_31, MESSAGE)))
                .isEqualTo("023f5d0f8a9384f76bc3bddb53d9912a13dee51358fac43d0e4dff25aaff1245");
        byte[] longKey = new byte[100];
        Arrays.fill(longKey, (byte) 0xaa);
        assertThat(hex(Blake2s.hmac(longKey, "Test Using Larger Than Block-Size Key".getBytes(US_ASCII))))
                .isEqualTo("5701a0c602dec0c38dc0b998dc6c47cda63b86e145e3ed5e227028dc500b2779");
    }

    @Test
    void hmacMatchesRfc2104BuiltFromHash() {
        for (byte[] key : new byte[][] {KEY_0_TO_31, new byte[0], new byte[HMAC_BLOCK], new byte[HMAC_BLOCK + 1]}) {
            assertThat(Blake2s.hmac(key, MESSAGE, MESSAGE)).isEqualTo(handMadeHmac(key, concat(MESSAGE, MESSAGE)));
        }
    }

    /** RFC 2104: H((K' ^ opad) || H((K' ^ ipad) || m)), K' = K padded (or hashed, if longer than a block). */
    private static byte[] handMadeHmac(byte[] key, byte[] message) {
        byte[] k = key.length > HMAC_BLOCK ? Blake2s.hash(key) : key;
        byte[] ipad = new byte[HMAC_BLOCK];
        byte[] opad = new byte[HMAC_BLOCK];
        for (int i = 0; i < HMAC_BLOCK; i++) {
            byte ki = i < k.length ? k[i] : 0;
            ipad[i] = (byte) (ki ^ 0x36);
            opad[i] = (byte) (ki ^ 0x5c);
        }
        return Blake2s.hash(opad, Blake2s.hash(ipad, message));
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
