package dev.culvert.crypto;

import java.nio.ByteBuffer;
import javax.crypto.AEADBadTagException;

/**
 * One ChaCha20-Poly1305 implementation bound to one key, used by {@link DataCipher}. The caller has
 * already checked lengths and remaining space; AD is always empty (WireGuard transport data has none).
 */
interface ChaCha20Poly1305Engine extends AutoCloseable {

    /** Seals all of {@code src} into {@code dst} under a 12-byte nonce; returns bytes written (len + 16). */
    int seal(byte[] nonce12, ByteBuffer src, ByteBuffer dst);

    /** Opens all of {@code src} (ciphertext + tag) into {@code dst}; returns the plaintext length. */
    int open(byte[] nonce12, ByteBuffer src, ByteBuffer dst) throws AEADBadTagException;

    /** Which implementation this is, for diagnostics and benchmarks. */
    ChaCha20Poly1305Factory.Implementation implementation();

    /** Wipes this engine's copy of the key; the engine is unusable afterwards. */
    @Override
    void close();
}
