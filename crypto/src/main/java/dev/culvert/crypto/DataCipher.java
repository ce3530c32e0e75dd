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
 * <p>The data path seals and opens IN PLACE ({@link #sealInPlace}, {@link #openInPlace}): one buffer per
 * packet, usually direct (a Netty pooled direct buffer's NIO view), with 16 bytes of room after the
 * plaintext for the tag. With Conscrypt and a direct buffer nothing is copied on the Java side (it keeps
 * a duplicate of the last buffer object it was given, until another comes or {@link #close}).
 *
 * <p>Buffers may be heap or direct. The copying {@link #seal}/{@link #open} work in place too when {@code src} and
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

    /**
     * A cipher for {@code key} (copied) using the process-wide implementation: the one
     * {@link ChaCha20Poly1305Factory#choose} picked, else {@link ChaCha20Poly1305Factory#configured()}.
     */
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

    /**
     * Encrypts {@code buf[position, limit)} in place and writes the 16-byte Poly1305 tag at {@code limit}
     * (RFC 8439 section 2.8, empty AD, WireGuard's nonce). On return the position is unchanged and the limit
     * is 16 bytes further: {@code buf[position, limit)} is the sealed message, ciphertext then tag.
     *
     * @param counter the packet counter (WireGuard's nonce {@code 0x00000000 || counter little-endian})
     * @param buf     heap or direct; the caller guarantees {@code capacity - limit >= 16}
     * @return the sealed length, plaintext length plus {@link Aead#TAG_LENGTH}
     * @throws IllegalArgumentException if there is no room for the tag after the limit, or buf is read-only
     * @throws IllegalStateException    if closed, or if {@code counter} was the previous seal's counter
     */
    public int sealInPlace(long counter, ByteBuffer buf) {
        checkOpen();
        int position = buf.position();
        int length = buf.limit() - position;
        if (buf.capacity() - buf.limit() < Aead.TAG_LENGTH || buf.isReadOnly()) {
            throw new IllegalArgumentException("sealing " + length + " bytes in place needs " + Aead.TAG_LENGTH
                    + " writable bytes after the limit, buffer has " + (buf.capacity() - buf.limit())
                    + (buf.isReadOnly() ? " and is read-only" : ""));
        }
        Nonces.write(nonce, counter);
        buf.limit(position + length + Aead.TAG_LENGTH);         // absolute puts may not pass the limit
        int sealed;
        try {
            sealed = engine.sealInPlace(nonce, null, buf, position, length);
        } catch (RuntimeException e) {
            buf.limit(position + length).position(position);
            throw e;
        }
        buf.limit(position + sealed).position(position);
        return sealed;
    }

    /**
     * Verifies and decrypts ciphertext and tag at {@code buf[position, limit)} in place. On return the
     * position is unchanged and the limit is at the plaintext's end (16 bytes before the old limit).
     *
     * @param counter the counter from the transport-data header
     * @param buf     heap or direct, writable
     * @return the plaintext length, {@code remaining - 16}
     * @throws AEADBadTagException      if the input is shorter than a tag or the tag does not verify; position
     *                                  and limit are then unchanged and the bytes in range unspecified
     * @throws IllegalArgumentException if buf is read-only
     * @throws IllegalStateException    if closed
     */
    public int openInPlace(long counter, ByteBuffer buf) throws AEADBadTagException {
        checkOpen();
        int position = buf.position();
        int length = buf.limit() - position;
        if (length < Aead.TAG_LENGTH) {
            throw new AEADBadTagException("transport data of " + length + " bytes is shorter than the "
                    + Aead.TAG_LENGTH + "-byte tag (counter " + Long.toUnsignedString(counter) + ")");
        }
        if (buf.isReadOnly()) {
            throw new IllegalArgumentException("cannot open " + length + " bytes in place in a read-only buffer");
        }
        Nonces.write(nonce, counter);
        int plain;
        try {
            plain = engine.openInPlace(nonce, null, buf, position, length);
        } finally {
            buf.limit(position + length).position(position);   // the engine may have moved them
        }
        buf.limit(position + plain);
        return plain;
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

    /** {@link #sealInPlace} with a raw 12-byte nonce and optional AD, for known-answer checks. */
    int sealInPlaceWithNonce(byte[] nonce12, byte[] ad, ByteBuffer buf) {
        checkOpen();
        int position = buf.position();
        int length = buf.remaining();
        buf.limit(position + length + Aead.TAG_LENGTH);
        int sealed = engine.sealInPlace(nonce12.clone(), ad, buf, position, length);
        buf.limit(position + sealed).position(position);
        return sealed;
    }

    /** {@link #openInPlace} with a raw 12-byte nonce and optional AD, for known-answer checks. */
    int openInPlaceWithNonce(byte[] nonce12, byte[] ad, ByteBuffer buf) throws AEADBadTagException {
        checkOpen();
        int position = buf.position();
        int plain = engine.openInPlace(nonce12.clone(), ad, buf, position, buf.remaining());
        buf.limit(position + plain).position(position);
        return plain;
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
