package dev.culvert.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.culvert.crypto.ChaCha20Poly1305Factory.Implementation;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DataCipherTest {

    private static final byte[] KEY = Blake2s.hash("data key".getBytes());
    private static final int PACKET = 1420;
    /** WireGuard's transport header (type, receiver, counter) that precedes the ciphertext in a datagram. */
    private static final int HEADER = 16;

    private static byte[] packet(int length, long seed) {
        byte[] p = new byte[length];
        new Random(seed).nextBytes(p);
        return p;
    }

    private static ByteBuffer buffer(boolean direct, int capacity) {
        return direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
    }

    private static byte[] remaining(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    private static byte[] seal(DataCipher cipher, long counter, byte[] plaintext) {
        ByteBuffer dst = ByteBuffer.allocate(plaintext.length + Aead.TAG_LENGTH);
        cipher.seal(counter, ByteBuffer.wrap(plaintext), dst);
        return dst.array();
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void sealEqualsHandshakeAeadWithEmptyAd(Implementation impl) {
        Usable.require(impl);
        try (DataCipher cipher = DataCipher.forKey(KEY, impl)) {
            for (long counter : new long[] {0, 1, 255, 1L << 40, -2L}) {
                byte[] plaintext = packet(PACKET, counter);
                assertThat(seal(cipher, counter, plaintext)).isEqualTo(Aead.seal(KEY, counter, plaintext, new byte[0]));
            }
        }
    }

    @Test
    void jdkAndBouncyCastleProduceIdenticalBytes() throws AEADBadTagException {
        try (DataCipher jdk = DataCipher.forKey(KEY, Implementation.JDK);
             DataCipher bc = DataCipher.forKey(KEY, Implementation.BOUNCY_CASTLE)) {
            for (int length : new int[] {0, 1, 15, 16, 17, 63, 64, 65, PACKET, 65_535}) {
                byte[] plaintext = packet(length, length);
                byte[] byJdk = seal(jdk, length, plaintext);
                assertThat(byJdk).as("length %d", length).isEqualTo(seal(bc, length, plaintext));
                ByteBuffer out = ByteBuffer.allocate(length);
                assertThat(bc.open(length, ByteBuffer.wrap(byJdk), out)).isEqualTo(length);
                assertThat(out.array()).isEqualTo(plaintext);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void rfc8439NonceTraffic(Implementation impl) throws AEADBadTagException {
        Usable.require(impl);
        // The RFC 8439 section 2.8.2 vector carries AD, which DataCipher never uses; with its key and nonce and
        // empty AD, the raw-nonce path must agree with the vector-tested Aead.
        try (DataCipher cipher = DataCipher.forKey(Rfc8439.KEY, impl)) {
            ByteBuffer dst = ByteBuffer.allocate(Rfc8439.PLAINTEXT.length + Aead.TAG_LENGTH);
            cipher.sealWithNonce(Rfc8439.NONCE, ByteBuffer.wrap(Rfc8439.PLAINTEXT), dst);
            byte[] expected = Aead.sealRaw(Rfc8439.KEY, Rfc8439.NONCE, Rfc8439.PLAINTEXT, new byte[0]);
            assertThat(dst.array()).isEqualTo(expected);
            // Ciphertext (not the tag) equals the RFC's: the keystream does not depend on AD.
            assertThat(Arrays.copyOf(dst.array(), Rfc8439.CIPHERTEXT.length)).isEqualTo(Rfc8439.CIPHERTEXT);
            ByteBuffer plain = ByteBuffer.allocate(Rfc8439.PLAINTEXT.length);
            cipher.openWithNonce(Rfc8439.NONCE, ByteBuffer.wrap(expected), plain);
            assertThat(plain.array()).isEqualTo(Rfc8439.PLAINTEXT);
        }
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void roundTripAcrossHeapAndDirectBuffersAtWireOffsets(Implementation impl) throws AEADBadTagException {
        Usable.require(impl);
        try (DataCipher sender = DataCipher.forKey(KEY, impl); DataCipher receiver = DataCipher.forKey(KEY, impl)) {
            long counter = 0;
            for (boolean directSrc : new boolean[] {false, true}) {
                for (boolean directDst : new boolean[] {false, true}) {
                    byte[] plaintext = packet(PACKET, counter);
                    ByteBuffer src = buffer(directSrc, PACKET + 32);
                    src.position(7);
                    src.put(plaintext).flip().position(7);
                    ByteBuffer datagram = buffer(directDst, HEADER + PACKET + Aead.TAG_LENGTH + 5);
                    datagram.position(HEADER);
                    int written = sender.seal(counter, src, datagram);
                    assertThat(written).isEqualTo(PACKET + Aead.TAG_LENGTH);
                    assertThat(src.hasRemaining()).isFalse();
                    assertThat(datagram.position()).isEqualTo(HEADER + written);

                    datagram.flip().position(HEADER);
                    ByteBuffer plain = buffer(!directDst, PACKET + 3);
                    plain.position(3);
                    int read = receiver.open(counter, datagram, plain);
                    assertThat(read).isEqualTo(PACKET);
                    assertThat(datagram.hasRemaining()).isFalse();
                    assertThat(plain.position()).isEqualTo(3 + PACKET);
                    plain.flip().position(3);
                    assertThat(remaining(plain)).as("src direct %s, dst direct %s", directSrc, directDst)
                            .isEqualTo(plaintext);
                    counter++;
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void inPlaceOnOneHeapArray(Implementation impl) throws AEADBadTagException {
        Usable.require(impl);
        try (DataCipher cipher = DataCipher.forKey(KEY, impl)) {
            byte[] plaintext = packet(PACKET, 9);
            byte[] array = Arrays.copyOf(plaintext, PACKET + Aead.TAG_LENGTH);
            cipher.seal(9, ByteBuffer.wrap(array, 0, PACKET), ByteBuffer.wrap(array));
            assertThat(array).isEqualTo(Aead.seal(KEY, 9, plaintext, new byte[0]));
            cipher.open(9, ByteBuffer.wrap(array), ByteBuffer.wrap(array, 0, PACKET));
            assertThat(Arrays.copyOf(array, PACKET)).isEqualTo(plaintext);
        }
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void emptyPlaintextSealsToSixteenBytes(Implementation impl) throws AEADBadTagException {
        Usable.require(impl);
        try (DataCipher cipher = DataCipher.forKey(KEY, impl)) {
            ByteBuffer dst = ByteBuffer.allocate(64);
            assertThat(cipher.seal(3, ByteBuffer.allocate(0), dst)).isEqualTo(Aead.TAG_LENGTH);
            assertThat(dst.position()).isEqualTo(Aead.TAG_LENGTH);
            dst.flip();
            assertThat(cipher.open(3, dst, ByteBuffer.allocate(0))).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void tamperedCiphertextTagOrCounterIsRejected(Implementation impl) {
        Usable.require(impl);
        try (DataCipher cipher = DataCipher.forKey(KEY, impl)) {
            byte[] sealed = seal(cipher, 42, packet(100, 42));
            for (int index : new int[] {0, 50, 99, 100, 115}) {                // ciphertext, then tag bytes
                byte[] tampered = sealed.clone();
                tampered[index] ^= 0x01;
                assertThatThrownBy(() -> cipher.open(42, ByteBuffer.wrap(tampered), ByteBuffer.allocate(100)))
                        .as("flipped byte %d", index).isInstanceOf(AEADBadTagException.class);
            }
            assertThatThrownBy(() -> cipher.open(43, ByteBuffer.wrap(sealed), ByteBuffer.allocate(100)))
                    .isInstanceOf(AEADBadTagException.class);
            assertThatThrownBy(() -> cipher.open(42, ByteBuffer.wrap(sealed, 0, 99), ByteBuffer.allocate(100)))
                    .as("truncated").isInstanceOf(AEADBadTagException.class);
            assertThatThrownBy(() -> cipher.open(42, ByteBuffer.allocate(15), ByteBuffer.allocate(100)))
                    .as("shorter than a tag").isInstanceOf(AEADBadTagException.class).hasMessageContaining("15");
            try (DataCipher otherKey = DataCipher.forKey(Blake2s.hash(KEY), impl)) {
                assertThatThrownBy(() -> otherKey.open(42, ByteBuffer.wrap(sealed), ByteBuffer.allocate(100)))
                        .isInstanceOf(AEADBadTagException.class);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void theSameCounterCanBeDecryptedTwiceInARow(Implementation impl) throws AEADBadTagException {
        Usable.require(impl);
        // A replayed datagram is decrypted before the replay window drops it: that must not crash the cipher.
        try (DataCipher cipher = DataCipher.forKey(KEY, impl)) {
            byte[] plaintext = packet(64, 5);
            byte[] sealed = seal(cipher, 5, plaintext);
            for (int i = 0; i < 3; i++) {
                ByteBuffer out = ByteBuffer.allocate(64);
                assertThat(cipher.open(5, ByteBuffer.wrap(sealed), out)).isEqualTo(64);
                assertThat(out.array()).isEqualTo(plaintext);
            }
            byte[] tampered = sealed.clone();
            tampered[0] ^= 1;
            assertThatThrownBy(() -> cipher.open(5, ByteBuffer.wrap(tampered), ByteBuffer.allocate(64)))
                    .isInstanceOf(AEADBadTagException.class);
            ByteBuffer out = ByteBuffer.allocate(64);
            cipher.open(5, ByteBuffer.wrap(sealed), out);
            assertThat(out.array()).isEqualTo(plaintext);
        }
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void sealingTheSameCounterTwiceInARowIsRefused(Implementation impl) {
        Usable.require(impl);
        try (DataCipher cipher = DataCipher.forKey(KEY, impl)) {
            seal(cipher, 8, new byte[10]);
            assertThatThrownBy(() -> seal(cipher, 8, new byte[10]))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("same key and nonce");
        }
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void tooSmallDestinationsAreCallerErrorsWithContext(Implementation impl) {
        Usable.require(impl);
        try (DataCipher cipher = DataCipher.forKey(KEY, impl)) {
            assertThatThrownBy(() -> cipher.seal(1, ByteBuffer.allocate(100), ByteBuffer.allocate(115)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("116").hasMessageContaining("115");
            assertThatThrownBy(() -> cipher.open(1, ByteBuffer.allocate(116), ByteBuffer.allocate(99)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("99");
        }
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void closedCipherRefusesWorkAndHidesNothingInToString(Implementation impl) {
        Usable.require(impl);
        DataCipher cipher = DataCipher.forKey(KEY, impl);
        assertThat(cipher.implementation()).isEqualTo(impl);
        cipher.close();
        cipher.close();
        assertThatThrownBy(() -> seal(cipher, 1, new byte[1])).isInstanceOf(IllegalStateException.class);
        assertThat(cipher.toString()).contains(impl.name()).doesNotContain(Hex.hex(KEY)).doesNotContain(Keys.encode(KEY));
    }

    @Test
    void keyIsCopied() throws AEADBadTagException {
        byte[] key = KEY.clone();
        try (DataCipher cipher = DataCipher.forKey(key, Implementation.JDK);
             DataCipher bc = DataCipher.forKey(key, Implementation.BOUNCY_CASTLE)) {
            Arrays.fill(key, (byte) 0);
            byte[] sealed = seal(cipher, 1, new byte[8]);
            assertThat(sealed).isEqualTo(Aead.seal(KEY, 1, new byte[8], new byte[0]));
            bc.open(1, ByteBuffer.wrap(sealed), ByteBuffer.allocate(8));
        }
    }

    @Test
    void wrongKeyLengthIsRejected() {
        assertThatThrownBy(() -> DataCipher.forKey(new byte[31])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("31");
    }
}
