package dev.culvert.crypto;

import static dev.culvert.crypto.Hex.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.Test;

class AeadTest {

    private static final byte[] KEY = Rfc8439.KEY;
    private static final byte[] AD = Rfc8439.AAD;

    @Test
    void rfc8439Section2_8_2Seal() {
        assertThat(Aead.sealRaw(Rfc8439.KEY, Rfc8439.NONCE, Rfc8439.PLAINTEXT, Rfc8439.AAD))
                .isEqualTo(Rfc8439.ciphertextAndTag());
    }

    @Test
    void rfc8439Section2_8_2Open() throws AEADBadTagException {
        assertThat(Aead.openRaw(Rfc8439.KEY, Rfc8439.NONCE, Rfc8439.ciphertextAndTag(), Rfc8439.AAD))
                .isEqualTo(Rfc8439.PLAINTEXT);
    }

    @Test
    void counterBecomesFourZeroBytesThenLittleEndianCounter() {
        long counter = 0x0102030405060708L;
        byte[] nonce = bytes("00000000 0807060504030201");
        assertThat(Aead.seal(KEY, counter, Rfc8439.PLAINTEXT, AD))
                .isEqualTo(Aead.sealRaw(KEY, nonce, Rfc8439.PLAINTEXT, AD));
    }

    @Test
    void roundTripWithEmptyPlaintextAndAd() throws AEADBadTagException {
        byte[] sealed = Aead.seal(KEY, 0, new byte[0], new byte[0]);
        assertThat(sealed).hasSize(Aead.TAG_LENGTH);
        assertThat(Aead.open(KEY, 0, sealed, new byte[0])).isEmpty();
    }

    @Test
    void wrongCounterAdOrKeyOrFlippedBitFails() {
        byte[] sealed = Aead.seal(KEY, 7, Rfc8439.PLAINTEXT, AD);
        assertThatThrownBy(() -> Aead.open(KEY, 8, sealed, AD)).isInstanceOf(AEADBadTagException.class);
        assertThatThrownBy(() -> Aead.open(KEY, 7, sealed, new byte[0])).isInstanceOf(AEADBadTagException.class);
        byte[] otherKey = KEY.clone();
        otherKey[0] ^= 1;
        assertThatThrownBy(() -> Aead.open(otherKey, 7, sealed, AD)).isInstanceOf(AEADBadTagException.class);
        for (int i : new int[] {0, sealed.length - Aead.TAG_LENGTH, sealed.length - 1}) {
            byte[] tampered = sealed.clone();
            tampered[i] ^= 0x40;
            assertThatThrownBy(() -> Aead.open(KEY, 7, tampered, AD))
                    .as("bit flipped at %d", i).isInstanceOf(AEADBadTagException.class);
        }
    }

    @Test
    void inputShorterThanTagFails() {
        assertThatThrownBy(() -> Aead.open(KEY, 0, new byte[15], AD))
                .isInstanceOf(AEADBadTagException.class).hasMessageContaining("15");
    }

    @Test
    void wrongKeyLengthIsRejected() {
        assertThatThrownBy(() -> Aead.seal(new byte[16], 0, new byte[0], null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("16");
    }
}
