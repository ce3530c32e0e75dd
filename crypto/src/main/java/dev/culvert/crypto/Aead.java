package dev.culvert.crypto;

import javax.crypto.AEADBadTagException;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * ChaCha20-Poly1305 (RFC 8439 section 2.8) with WireGuard's nonce (4 zero bytes, then the 64-bit
 * counter little-endian), for the small encrypted fields of handshake messages: {@code AEAD(key, counter,
 * plaintext, ad)} in the paper. Each call allocates its own Bouncy Castle cipher, so it is thread-safe.
 * For the data path use {@link DataCipher}.
 */
public final class Aead {

    /** Length of the Poly1305 tag appended to every ciphertext. */
    public static final int TAG_LENGTH = 16;
    /** Length of a ChaCha20-Poly1305 key. */
    public static final int KEY_LENGTH = 32;

    private Aead() {
    }

    /** Returns {@code ciphertext || tag}, {@code plaintext.length + 16} bytes. */
    public static byte[] seal(byte[] key, long counter, byte[] plaintext, byte[] ad) {
        return sealRaw(key, Nonces.of(counter), plaintext, ad);
    }

    /**
     * Returns the plaintext of {@code ciphertextAndTag}.
     *
     * @throws AEADBadTagException if the tag does not verify (wrong key, counter, data or AD)
     */
    public static byte[] open(byte[] key, long counter, byte[] ciphertextAndTag, byte[] ad)
            throws AEADBadTagException {
        return openRaw(key, Nonces.of(counter), ciphertextAndTag, ad);
    }

    /** {@link #seal} with an arbitrary 12-byte nonce; for known-answer tests and {@link XAead}. */
    static byte[] sealRaw(byte[] key, byte[] nonce12, byte[] plaintext, byte[] ad) {
        ChaCha20Poly1305 cipher = init(true, key, nonce12, ad);
        byte[] out = new byte[plaintext.length + TAG_LENGTH];
        int written = cipher.processBytes(plaintext, 0, plaintext.length, out, 0);
        try {
            cipher.doFinal(out, written);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e); // cannot happen when sealing
        }
        return out;
    }

    /** {@link #open} with an arbitrary 12-byte nonce; for known-answer tests and {@link XAead}. */
    static byte[] openRaw(byte[] key, byte[] nonce12, byte[] ciphertextAndTag, byte[] ad) throws AEADBadTagException {
        if (ciphertextAndTag.length < TAG_LENGTH) {
            throw new AEADBadTagException("ChaCha20-Poly1305 input of " + ciphertextAndTag.length
                    + " bytes is shorter than the " + TAG_LENGTH + "-byte tag");
        }
        ChaCha20Poly1305 cipher = init(false, key, nonce12, ad);
        byte[] out = new byte[ciphertextAndTag.length - TAG_LENGTH];
        int written = cipher.processBytes(ciphertextAndTag, 0, ciphertextAndTag.length, out, 0);
        try {
            cipher.doFinal(out, written);
        } catch (InvalidCipherTextException e) {
            Secrets.wipe(out);
            throw new AEADBadTagException("ChaCha20-Poly1305 tag mismatch on " + ciphertextAndTag.length + "-byte input");
        }
        return out;
    }

    private static ChaCha20Poly1305 init(boolean encrypt, byte[] key, byte[] nonce12, byte[] ad) {
        if (key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("ChaCha20-Poly1305 key must be " + KEY_LENGTH + " bytes, got " + key.length);
        }
        if (nonce12.length != Nonces.NONCE_LENGTH) {
            throw new IllegalArgumentException(
                    "ChaCha20-Poly1305 nonce must be " + Nonces.NONCE_LENGTH + " bytes, got " + nonce12.length);
        }
        ChaCha20Poly1305 cipher = new ChaCha20Poly1305();
        cipher.init(encrypt, new ParametersWithIV(new KeyParameter(key), nonce12));
        if (ad != null && ad.length > 0) {
            cipher.processAADBytes(ad, 0, ad.length);
        }
        return cipher;
    }
}
