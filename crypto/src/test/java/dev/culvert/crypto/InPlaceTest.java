package dev.culvert.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.culvert.crypto.ChaCha20Poly1305Factory.Implementation;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link DataCipher#sealInPlace} and {@link DataCipher#openInPlace} on every implementation, heap and direct. */
class InPlaceTest {

    private static final byte[] KEY = Blake2s.hash("in-place key".getBytes());
    /** Where the payload starts in a datagram buffer: WireGuard's 16-byte transport header. */
    private static final int HEADER = 16;

    private static byte[] packet(int length, long seed) {
        byte[] p = new byte[length];
        new Random(seed).nextBytes(p);
        return p;
    }

    /** A buffer holding {@code content} at [HEADER, HEADER + length) with {@code room} bytes after the limit. */
    private static ByteBuffer buffer(boolean direct, byte[] content, int room) {
        int capacity = HEADER + content.length + room;
        ByteBuffer buf = direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
        buf.position(HEADER);
        buf.put(content);
        buf.limit(buf.position()).position(HEADER);
        return buf;
    }

    private static byte[] remaining(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void rfc8439KnownAnswerInPlaceOnHeapAndDirect(Implementation impl) throws AEADBadTagException {
        Usable.require(impl);
        for (boolean direct : new boolean[] {false, true}) {
            try (DataCipher cipher = DataCipher.forKey(Rfc8439.KEY, impl)) {
                ByteBuffer buf = buffer(direct, Rfc8439.PLAINTEXT, Aead.TAG_LENGTH);
                assertThat(cipher.sealInPlaceWithNonce(Rfc8439.NONCE, Rfc8439.AAD, buf))
                        .isEqualTo(Rfc8439.PLAINTEXT.length + Aead.TAG_LENGTH);
                assertThat(remaining(buf)).as("direct %s", direct).isEqualTo(Rfc8439.ciphertextAndTag());
                assertThat(cipher.openInPlaceWithNonce(Rfc8439.NONCE, Rfc8439.AAD, buf))
                        .isEqualTo(Rfc8439.PLAINTEXT.length);
                assertThat(remaining(buf)).isEqualTo(Rfc8439.PLAINTEXT);
                assertThat(ChaCha20Poly1305Factory.selfCheck(impl)).isNull();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void sealInPlaceEqualsHandshakeAeadAndMovesOnlyTheLimit(Implementation impl) throws AEADBadTagException {
        Usable.require(impl);
        try (DataCipher sealer = DataCipher.forKey(KEY, impl); DataCipher opener = DataCipher.forKey(KEY, impl)) {
            long counter = 0;
            for (boolean direct : new boolean[] {false, true}) {
                for (int length : new int[] {0, 1, 63, 64, 65, 1420, 9000}) {
                    byte[] plaintext = packet(length, counter);
                    ByteBuffer buf = buffer(direct, plaintext, Aead.TAG_LENGTH + 7);
                    assertThat(sealer.sealInPlace(counter, buf)).isEqualTo(length + Aead.TAG_LENGTH);
                    assertThat(buf.position()).isEqualTo(HEADER);
                    assertThat(buf.limit()).isEqualTo(HEADER + length + Aead.TAG_LENGTH);
                    assertThat(remaining(buf)).as("%s direct %s", length, direct)
                            .isEqualTo(Aead.seal(KEY, counter, plaintext, new byte[0]));

                    assertThat(opener.openInPlace(counter, buf)).isEqualTo(length);
                    assertThat(buf.position()).isEqualTo(HEADER);
                    assertThat(buf.limit()).isEqualTo(HEADER + length);
                    assertThat(remaining(buf)).isEqualTo(plaintext);
                    counter++;
                }
            }
        }
    }

    @Test
    void everyImplementationSealsTheSameBytesAndOpensTheOthers() throws AEADBadTagException {
        Map<Implementation, DataCipher> ciphers = new EnumMap<>(Implementation.class);
        for (Implementation impl : Implementation.values()) {
            Usable.require(impl);
            ciphers.put(impl, DataCipher.forKey(KEY, impl));
        }
        try {
            for (int length : new int[] {0, 15, 16, 17, 64, 1420, 65_519}) {
                byte[] plaintext = packet(length, length);
                Map<Implementation, byte[]> sealed = new EnumMap<>(Implementation.class);
                for (Map.Entry<Implementation, DataCipher> e : ciphers.entrySet()) {
                    ByteBuffer buf = buffer(true, plaintext, Aead.TAG_LENGTH);
                    e.getValue().sealInPlace(length, buf);
                    sealed.put(e.getKey(), remaining(buf));
                }
                byte[] jdk = sealed.get(Implementation.JDK);
                assertThat(sealed.values()).as("length %d", length).allSatisfy(b -> assertThat(b).isEqualTo(jdk));
                for (Map.Entry<Implementation, DataCipher> e : ciphers.entrySet()) {
                    ByteBuffer buf = buffer(false, jdk, 0);
                    e.getValue().openInPlace(length, buf);
                    assertThat(remaining(buf)).as("%s opens jdk's %d bytes", e.getKey(), length).isEqualTo(plaintext);
                }
            }
        } finally {
            ciphers.values().forEach(DataCipher::close);
        }
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void tamperedTagOrCiphertextIsRefusedAndLeavesPositionAndLimit(Implementation impl) throws AEADBadTagException {
        Usable.require(impl);
        try (DataCipher cipher = DataCipher.forKey(KEY, impl)) {
            byte[] plaintext = packet(1420, 1);
            for (boolean direct : new boolean[] {false, true}) {
                ByteBuffer sealedBuf = buffer(direct, plaintext, Aead.TAG_LENGTH);
                cipher.sealInPlace(direct ? 2 : 1, sealedBuf);
                byte[] sealed = remaining(sealedBuf);
                for (int index : new int[] {0, 700, 1419, 1420, 1435}) {
                    byte[] tampered = sealed.clone();
                    tampered[index] ^= 0x40;
                    ByteBuffer buf = buffer(direct, tampered, 0);
                    long counter = direct ? 2 : 1;
                    assertThatThrownBy(() -> cipher.openInPlace(counter, buf)).as("byte %d direct %s", index, direct)
                            .isInstanceOf(AEADBadTagException.class);
                    assertThat(buf.position()).isEqualTo(HEADER);
                    assertThat(buf.limit()).isEqualTo(HEADER + sealed.length);
                }
                ByteBuffer wrongCounter = buffer(direct, sealed, 0);
                assertThatThrownBy(() -> cipher.openInPlace(99, wrongCounter)).isInstanceOf(AEADBadTagException.class);
                ByteBuffer good = buffer(direct, sealed, 0);
                cipher.openInPlace(direct ? 2 : 1, good);
                assertThat(remaining(good)).isEqualTo(plaintext);
            }
            ByteBuffer tooShort = buffer(true, new byte[15], 0);
            assertThatThrownBy(() -> cipher.openInPlace(1, tooShort))
                    .isInstanceOf(AEADBadTagException.class).hasMessageContaining("15");
        }
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void replayedPacketOpensAgainButSealingACounterTwiceIsRefused(Implementation impl) throws AEADBadTagException {
        Usable.require(impl);
        try (DataCipher cipher = DataCipher.forKey(KEY, impl)) {
            byte[] plaintext = packet(200, 3);
            ByteBuffer sealedBuf = buffer(true, plaintext, Aead.TAG_LENGTH);
            cipher.sealInPlace(3, sealedBuf);
            byte[] sealed = remaining(sealedBuf);
            assertThatThrownBy(() -> cipher.sealInPlace(3, buffer(true, plaintext, Aead.TAG_LENGTH)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("same key and nonce");
            for (int i = 0; i < 3; i++) {
                ByteBuffer buf = buffer(i % 2 == 0, sealed, 0);
                assertThat(cipher.openInPlace(3, buf)).isEqualTo(200);
                assertThat(remaining(buf)).isEqualTo(plaintext);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void noRoomForTheTagOrReadOnlyIsACallerError(Implementation impl) {
        Usable.require(impl);
        try (DataCipher cipher = DataCipher.forKey(KEY, impl)) {
            ByteBuffer noRoom = buffer(true, new byte[100], 15);
            assertThatThrownBy(() -> cipher.sealInPlace(1, noRoom))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("16").hasMessageContaining("15");
            assertThat(noRoom.limit()).isEqualTo(HEADER + 100);
            ByteBuffer readOnly = buffer(false, new byte[100], 16).asReadOnlyBuffer();
            assertThatThrownBy(() -> cipher.sealInPlace(1, readOnly))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read-only");
            cipher.close();
            assertThatThrownBy(() -> cipher.sealInPlace(1, buffer(true, new byte[1], 16)))
                    .isInstanceOf(IllegalStateException.class);
        }
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void oneDirectBufferObjectReusedForManyPacketsAndThenAnother(Implementation impl) throws AEADBadTagException {
        // Conscrypt keeps views of the last buffer it saw: a buffer swap and changing offsets must not confuse it.
        Usable.require(impl);
        try (DataCipher cipher = DataCipher.forKey(KEY, impl); DataCipher opener = DataCipher.forKey(KEY, impl)) {
            ByteBuffer[] buffers = {ByteBuffer.allocateDirect(2048), ByteBuffer.allocateDirect(2048)};
            for (int i = 0; i < 40; i++) {
                ByteBuffer buf = buffers[(i / 7) % 2];
                int offset = i % 5;
                byte[] plaintext = packet(100 + 31 * i, i);
                buf.clear().position(offset);
                buf.put(plaintext).flip().position(offset);
                cipher.sealInPlace(i, buf);
                assertThat(remaining(buf)).isEqualTo(Aead.seal(KEY, i, plaintext, new byte[0]));
                opener.openInPlace(i, buf);
                assertThat(remaining(buf)).isEqualTo(plaintext);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Implementation.class)
    void garbagePerPacketStaysSmallOnDirectBuffers(Implementation impl) throws AEADBadTagException {
        // JMH -prof gc measures 80 B (Conscrypt), ~1.2-2.3 KB (JDK: its Cipher.init), 170-340 B (Bouncy Castle)
        // per 1420-byte packet; the JDK's own ByteBuffer path took 3.7-5.3 KB. Bounds with headroom.
        Usable.require(impl);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long limit = impl == Implementation.CONSCRYPT ? 160 : impl == Implementation.JDK ? 3_000 : 600;
        try (DataCipher sealer = DataCipher.forKey(KEY, impl); DataCipher opener = DataCipher.forKey(KEY, impl)) {
            ByteBuffer buf = buffer(true, packet(1420, 6), Aead.TAG_LENGTH);
            int packets = 2_000;
            long counter = 0;
            for (; counter < packets; counter++) {                     // warm-up: scratch arrays grown
                sealer.sealInPlace(counter, buf);
                opener.openInPlace(counter, buf);
            }
            long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
            for (; counter < 2L * packets; counter++) {
                sealer.sealInPlace(counter, buf);
                opener.openInPlace(counter, buf);
            }
            long perDirection = (threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before)
                    / (2L * packets);
            assertThat(perDirection).as("%s bytes allocated per seal or open", impl).isLessThanOrEqualTo(limit);
        }
    }

    @Test
    void heapBufferSliceWithAnArrayOffset() throws AEADBadTagException {
        for (Implementation impl : Implementation.values()) {
            if (!ChaCha20Poly1305Factory.isAvailable(impl)) {
                continue;
            }
            try (DataCipher cipher = DataCipher.forKey(KEY, impl)) {
                byte[] plaintext = packet(300, 4);
                byte[] backing = new byte[400];
                System.arraycopy(plaintext, 0, backing, 40, 300);
                ByteBuffer slice = ByteBuffer.wrap(backing, 30, 350).slice();   // arrayOffset 30
                slice.position(10).limit(310);
                cipher.sealInPlace(4, slice);
                assertThat(Arrays.copyOfRange(backing, 40, 356)).as("%s", impl)
                        .isEqualTo(Aead.seal(KEY, 4, plaintext, new byte[0]));
                cipher.openInPlace(4, slice);
                assertThat(Arrays.copyOfRange(backing, 40, 340)).isEqualTo(plaintext);
            }
        }
    }
}
