package dev.culvert.crypto;

import javax.crypto.AEADBadTagException;

/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03 section 2.3), used by WireGuard to encrypt the cookie
 * in a cookie reply (message type 3) under a random 24-byte nonce.
 *
 * <pre>
 *   subkey  = HChaCha20(key, nonce24[0..16))
 *   nonce12 = 0x00000000 || nonce24[16..24)
 *   result  = ChaCha20-Poly1305(subkey, nonce12, plaintext, ad)
 * </pre>
 */
public final class XAead {

    /** Length of an XChaCha20 nonce. */
    public static final int NONCE_LENGTH = 24;

    private static final int HCHACHA_INPUT_LENGTH = 16;
    private static final int SUFFIX_LENGTH = NONCE_LENGTH - HCHACHA_INPUT_LENGTH;
    private static final int ZERO_PREFIX_LENGTH = Nonces.NONCE_LENGTH - SUFFIX_LENGTH;

    private XAead() {
    }

    /** Returns {@code ciphertext || tag}, {@code plaintext.length + 16} bytes. */
    public static byte[] seal(byte[] key, byte[] nonce24, byte[] plaintext, byte[] ad) {
        byte[] subkey = subkey(key, nonce24);
        try {
            return Aead.sealRaw(subkey, chachaNonce(nonce24), plaintext, ad);
        } finally {
            Secrets.wipe(subkey);
        }
    }

    /**
     * Returns the plaintext of {@code ciphertextAndTag}.
     *
     * @throws AEADBadTagException if the tag does not verify
     */
    public static byte[] open(byte[] key, byte[] nonce24, byte[] ciphertextAndTag, byte[] ad)
            throws AEADBadTagException {
        byte[] subkey = subkey(key, nonce24);
        try {
            return Aead.openRaw(subkey, chachaNonce(nonce24), ciphertextAndTag, ad);
        } finally {
            Secrets.wipe(subkey);
        }
    }

    private static byte[] subkey(byte[] key, byte[] nonce24) {
        if (key.length != Aead.KEY_LENGTH) {
            throw new IllegalArgumentException("XChaCha20 key must be " + Aead.KEY_LENGTH + " bytes, got " + key.length);
        }
        if (nonce24.length != NONCE_LENGTH) {
            throw new IllegalArgumentException("XChaCha20 nonce must be " + NONCE_LENGTH + " bytes, got " + nonce24.length);
        }
        return HChaCha20.subkey(key, nonce24);
    }

    private static byte[] chachaNonce(byte[] nonce24) {
        byte[] nonce = new byte[Nonces.NONCE_LENGTH];
        System.arraycopy(nonce24, HCHACHA_INPUT_LENGTH, nonce, ZERO_PREFIX_LENGTH, SUFFIX_LENGTH);
        return nonce;
    }
}
