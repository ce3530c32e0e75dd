package dev.culvert.crypto;

import static dev.culvert.crypto.Hex.bytes;
import static dev.culvert.crypto.Hex.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.InvalidKeyException;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class X25519Test {

    // RFC 7748 section 6.1 (Diffie-Hellman example).
    private static final String ALICE_PRIVATE = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private static final String ALICE_PUBLIC = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private static final String BOB_PRIVATE = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    private static final String BOB_PUBLIC = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    private static final String SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    // A pair made once on this machine with wireguard-tools v1.0.20210914 (`wg genkey | tee k | wg pubkey`),
    // for this test only.
    static final String WG_PRIVATE = "aOl0MWlbq0xmn1i5YGqOIhuEG576DfXc7VeZMf95YGk=";
    static final String WG_PUBLIC = "NCjqDQuXwFB9qgJrxqmQfYJuhFpkzf5N+ianvsTCmxQ=";

    @Test
    void rfc7748Section5_2FirstVector() throws InvalidKeyException {
        byte[] out = X25519.sharedSecret(
                bytes("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                bytes("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"));
        assertThat(hex(out)).isEqualTo("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
    }

    @Test
    void rfc7748Section5_2SecondVector() throws InvalidKeyException {
        byte[] out = X25519.sharedSecret(
                bytes("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
                bytes("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"));
        assertThat(hex(out)).isEqualTo("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
    }

    @Test
    void rfc7748Section6_1DiffieHellman() throws InvalidKeyException {
        assertThat(hex(X25519.publicKey(bytes(ALICE_PRIVATE)))).isEqualTo(ALICE_PUBLIC);
        assertThat(hex(X25519.publicKey(bytes(BOB_PRIVATE)))).isEqualTo(BOB_PUBLIC);
        assertThat(hex(X25519.sharedSecret(bytes(ALICE_PRIVATE), bytes(BOB_PUBLIC)))).isEqualTo(SHARED);
        assertThat(hex(X25519.sharedSecret(bytes(BOB_PRIVATE), bytes(ALICE_PUBLIC)))).isEqualTo(SHARED);
    }

    @Test
    void publicKeyMatchesWgPubkey() {
        assertThat(Keys.encode(X25519.publicKey(Keys.parse(WG_PRIVATE)))).isEqualTo(WG_PUBLIC);
    }

    @Test
    void generatedKeysAreClampedAndAgree() throws InvalidKeyException {
        SecureRandom rnd = new SecureRandom();
        for (int i = 0; i < 64; i++) {
            byte[] a = X25519.generatePrivateKey(rnd);
            assertThat(a).hasSize(32);
            assertThat(a[0] & 0b0000_0111).as("low three bits of byte 0").isZero();
            assertThat(a[31] & 0x80).as("bit 255").isZero();
            assertThat(a[31] & 0x40).as("bit 254").isEqualTo(0x40);
            byte[] b = X25519.generatePrivateKey(rnd);
            assertThat(X25519.sharedSecret(a, X25519.publicKey(b))).isEqualTo(X25519.sharedSecret(b, X25519.publicKey(a)));
        }
    }

    @Test
    void generatePrivateKeyClampsWhateverTheRandomSourceGives() {
        SecureRandom allOnes = new SecureRandom() {
            private static final long serialVersionUID = 1L;

            @Override
            public void nextBytes(byte[] bytes) {
                java.util.Arrays.fill(bytes, (byte) 0xFF);
            }
        };
        byte[] key = X25519.generatePrivateKey(allOnes);
        assertThat(key[0]).isEqualTo((byte) 0xF8);
        assertThat(key[31]).isEqualTo((byte) 0x7F);
    }

    /** Points of small order on Curve25519 (and non-canonical encodings of them); each makes the result zero. */
    @ParameterizedTest
    @ValueSource(strings = {
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
            "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    })
    void lowOrderPublicKeyIsRefused(String lowOrderPoint) {
        byte[] privateKey = bytes(ALICE_PRIVATE);
        assertThatThrownBy(() -> X25519.sharedSecret(privateKey, bytes(lowOrderPoint)))
                .isInstanceOf(InvalidKeyException.class)
                .hasMessageContaining("low-order")
                .hasMessageNotContaining(ALICE_PRIVATE);
    }

    @Test
    void wrongLengthsAreRejectedWithContext() {
        assertThatThrownBy(() -> X25519.publicKey(new byte[31]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("31");
        assertThatThrownBy(() -> X25519.sharedSecret(new byte[32], new byte[33]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("public key");
    }
}
