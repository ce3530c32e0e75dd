package dev.culvert.crypto;

import java.nio.ByteBuffer;
import javax.crypto.AEADBadTagException;

/**
 * One ChaCha20-Poly1305 implementation bound to one key, used by {@link DataCipher}. The caller has
 * already checked lengths and remaining space. The copying methods have empty AD (WireGuard transport data
 * has none); the in-place methods take an optional AD only so that the RFC 8439 section 2.8.2 known answer
 * can be checked through the very path the data uses.
 */
interface ChaCha20Poly1305Engine extends AutoCloseable {

    /** Seals all of {@code src} into {@code dst} under a 12-byte nonce; returns bytes written (len + 16). */
    int seal(byte[] nonce12, ByteBuffer src, ByteBuffer dst);

    /** Opens all of {@code src} (ciphertext + tag) into {@code dst}; returns the plaintext length. */
    int open(byte[] nonce12, ByteBuffer src, ByteBuffer dst) throws AEADBadTagException;

    /**
     * Encrypts {@code buf[offset, offset + length)} (absolute indexes) in place and writes the 16-byte tag at
     * {@code offset + length}; position and limit are not used and may be left anywhere.
     *
     * @param ad associated data, or null for none (the data path)
     * @return {@code length + 16}
     */
    int sealInPlace(byte[] nonce12, byte[] ad, ByteBuffer buf, int offset, int length);

    /**
     * Verifies and decrypts ciphertext + tag at {@code buf[offset, offset + length)} in place (the plaintext
     * ends up at {@code offset}); position and limit are not used and may be left anywhere.
     *
     * @param ad associated data, or null for none (the data path)
     * @return {@code length - 16}
     * @throws AEADBadTagException if the tag does not verify; the bytes in range are then unspecified
     */
    int openInPlace(byte[] nonce12, byte[] ad, ByteBuffer buf, int offset, int length) throws AEADBadTagException;

    /** Which implementation this is, for diagnostics and benchmarks. */
    ChaCha20Poly1305Factory.Implementation implementation();

    /** Wipes this engine's copy of the key (and any scratch plaintext); the engine is unusable afterwards. */
    @Override
    void close();
}
