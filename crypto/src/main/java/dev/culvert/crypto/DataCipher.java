package dev.culvert.crypto;

import java.nio.ByteBuffer;
import javax.crypto.AEADBadTagException;

/**
 * The transport-data AEAD for one direction of one keypair (WireGuard message type 4): ChaCha20-Poly1305
 * with the nonce {@code 0x00000000 || counter (little-endian)} and empty associated data.
 *
 * <p>Packet route: the sender takes the next counter, calls {@link #seal} from the plaintext buffer
 * straight into the outgoing datagram after its 16-byte header; the receiver calls {@link #open} on the
 * datagram's payload, and only after the tag verifies does it ask the {@link ReplayWindow} whether
 * the counter is new.
 *
 * <p>Buffers may be heap or direct. Sealing or opening in place is supported when {@code src} and
 * {@code dst} are distinct {@code ByteBuffer} objects (e.g. a {@code duplicate()}) whose content starts at
 * the same memory position; other overlaps are not.
 *
 * <p>Hot path: the nonce array and the cipher are reused, nothing is allocated per packet here except
 * what the chosen implementation needs (see {@link ChaCha20Poly1305Factory}). Not thread-safe: one owner
 * thread, normally the tunnel's event loop.
 */
public final class DataCipher implements AutoCloseable {

    private final ChaCha20Poly1305Engine engine;
    private final byte[] nonce = new byte[Nonces.NONCE_LENGTH];
    private boolean closed;

    private DataCipher(ChaCha20Poly1305Engine engine) {
        this.engine = engine;
    }

    /** A cipher for {@code key} (copied) using the implementation chosen by {@link ChaCha20Poly1305Factory#configured()}. */
    public static DataCipher forKey(byte[] key) {
        return forKey(key, ChaCha20Poly1305Factory.configured());
    }

    /** A cipher for {@code key} (copied) using the given implementation. */
    public static DataCipher forKey(byte[] key, ChaCha20Poly1305Factory.Implementation implementation) {
        if (key.length != Aead.KEY_LENGTH) {
            throw new IllegalArgumentException("data key must be " + Aead.KEY_LENGTH + " bytes, got " + key.length);
        }
        return new DataCipher(ChaCha20Poly1305Factory.create(implementation, key));
    }

    /**
     * Encrypts {@code src.remaining()} bytes from {@code src} (its position is advanced to its limit) into
     * {@code dst} at its position (advanced by {@code len + 16}).
     *
     * @return bytes written: the plaintext length plus {@link Aead#TAG_LENGTH}
     * @throws IllegalArgumentException if {@code dst} has less than {@code len + 16} bytes remaining
     * @throws IllegalStateException    if closed, or if {@code counter} was the previous seal's counter
     */
    public int seal(long counter, ByteBuffer src, ByteBuffer dst) {
        checkOpen();
        int needed = src.remaining() + Aead.TAG_LENGTH;
        if (dst.remaining() < needed) {
            throw new IllegalArgumentException("seal of " + src.remaining() + " bytes needs " + needed
                    + " bytes of output, dst has " + dst.remaining());
        }
        Nonces.write(nonce, counter);
        return engine.seal(nonce, src, dst);
    }

    /**
     * Decrypts {@code src.remaining()} bytes of ciphertext and tag from {@code src} into {@code dst}.
     *
     * @return the plaintext length, {@code src.remaining() - 16}
     * @throws AEADBadTagException      if the input is shorter than a tag or the tag does not verify; the
     *                                  content of {@code dst} and both positions are then unspecified
     * @throws IllegalArgumentException if {@code dst} has less room than the plaintext needs
     * @throws IllegalStateException    if closed
     */
    public int open(long counter, ByteBuffer src, ByteBuffer dst) throws AEADBadTagException {
        checkOpen();
        int length = src.remaining();
        if (length < Aead.TAG_LENGTH) {
            throw new AEADBadTagException("transport data of " + length + " bytes is shorter than the "
                    + Aead.TAG_LENGTH + "-byte tag (counter " + Long.toUnsignedString(counter) + ")");
        }
        if (dst.remaining() < length - Aead.TAG_LENGTH) {
            throw new IllegalArgumentException("open of " + length + " bytes needs " + (length - Aead.TAG_LENGTH)
                    + " bytes of output, dst has " + dst.remaining());
        }
        Nonces.write(nonce, counter);
        return engine.open(nonce, src, dst);
    }

    /** Which ChaCha20-Poly1305 implementation this cipher runs on. */
    public ChaCha20Poly1305Factory.Implementation implementation() {
        return engine.implementation();
    }

    /** Wipes the key copy; further seal/open calls throw {@link IllegalStateException}. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            engine.close();
        }
    }

    /** {@link #seal} with a raw 12-byte nonce, for RFC 8439 known-answer tests. */
    int sealWithNonce(byte[] nonce12, ByteBuffer src, ByteBuffer dst) {
        checkOpen();
        return engine.seal(nonce12.clone(), src, dst);
    }

    /** {@link #open} with a raw 12-byte nonce, for RFC 8439 known-answer tests. */
    int openWithNonce(byte[] nonce12, ByteBuffer src, ByteBuffer dst) throws AEADBadTagException {
        checkOpen();
        return engine.open(nonce12.clone(), src, dst);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("DataCipher is closed (its key was wiped)");
        }
    }

    @Override
    public String toString() {
        return "DataCipher[" + engine.implementation() + (closed ? ", closed]" : "]");
    }
}
