package dev.culvert.crypto;

import static dev.culvert.crypto.Hex.bytes;
import static dev.culvert.crypto.Hex.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import javax.crypto.AEADBadTagException;
import org.bouncycastle.crypto.modes.XChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

class XAeadTest {

    // draft-irtf-cfrg-xchacha-03, appendix A.3.1: the RFC 8439 plaintext, AAD and key with this 24-byte nonce.
    private static final byte[] NONCE = bytes("404142434445464748494a4b4c4d4e4f5051525354555657");
    private static final byte[] CIPHERTEXT = bytes(
            "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
            + "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
            + "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
            + "21f9664c97637da9768812f615c68b13b52e");
    private static final byte[] TAG = bytes("c0875924c1c7987947deafd8780acf49");

    @Test
    void hchacha20MatchesDraftSection2_2_1() {
        byte[] key = bytes("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        byte[] input = bytes("000000090000004a0000000031415927");
        assertThat(hex(HChaCha20.subkey(key, input)))
                .isEqualTo("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc");
    }

    @Test
    void sealMatchesDraftAppendixA3_1() {
        assertThat(XAead.seal(Rfc8439.KEY, NONCE, Rfc8439.PLAINTEXT, Rfc8439.AAD))
                .isEqualTo(Blake2sTest.concat(CIPHERTEXT, TAG));
    }

    @Test
    void openMatchesDraftAppendixA3_1() throws AEADBadTagException {
        assertThat(XAead.open(Rfc8439.KEY, NONCE, Blake2sTest.concat(CIPHERTEXT, TAG), Rfc8439.AAD))
                .isEqualTo(Rfc8439.PLAINTEXT);
    }

    @Test
    void agreesWithBouncyCastlesXChaCha20Poly1305() throws Exception {
        byte[] key = Blake2s.hash("key".getBytes());
        byte[] nonce = bytes("0102030405060708090a0b0c0d0e0f101112131415161718");
        byte[] cookie = bytes("00112233445566778899aabbccddeeff");
        byte[] ad = Blake2s.hash("mac1".getBytes());
        XChaCha20Poly1305 bc = new XChaCha20Poly1305();
        bc.init(true, new AEADParameters(new KeyParameter(key), Aead.TAG_LENGTH * 8, nonce, ad));
        byte[] expected = new byte[cookie.length + Aead.TAG_LENGTH];
        int n = bc.processBytes(cookie, 0, cookie.length, expected, 0);
        bc.doFinal(expected, n);
        assertThat(XAead.seal(key, nonce, cookie, ad)).isEqualTo(expected);
    }

    @Test
    void tamperedInputOrAdFails() {
        byte[] sealed = XAead.seal(Rfc8439.KEY, NONCE, Rfc8439.PLAINTEXT, Rfc8439.AAD);
        byte[] tampered = sealed.clone();
        tampered[3] ^= 1;
        assertThatThrownBy(() -> XAead.open(Rfc8439.KEY, NONCE, tampered, Rfc8439.AAD))
                .isInstanceOf(AEADBadTagException.class);
        assertThatThrownBy(() -> XAead.open(Rfc8439.KEY, NONCE, sealed, new byte[1]))
                .isInstanceOf(AEADBadTagException.class);
        byte[] otherNonce = NONCE.clone();
        otherNonce[0] ^= 1;     // in the HChaCha20 half
        assertThatThrownBy(() -> XAead.open(Rfc8439.KEY, otherNonce, sealed, Rfc8439.AAD))
                .isInstanceOf(AEADBadTagException.class);
    }

    @Test
    void wrongNonceLengthIsRejected() {
        assertThatThrownBy(() -> XAead.seal(Rfc8439.KEY, new byte[12], new byte[0], new byte[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("12");
    }
}
