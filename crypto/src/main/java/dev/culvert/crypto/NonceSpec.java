package dev.culvert.crypto;

import javax.crypto.spec.IvParameterSpec;

/**
 * An {@link IvParameterSpec} whose nonce the owner rewrites before each {@code Cipher.init}, so that a
 * packet does not cost a new spec and its defensive copy. {@link #getIV()} still hands out a fresh copy,
 * as the contract asks: providers (the JDK's ChaCha20Cipher, Conscrypt's OpenSSLAeadCipher) read it only
 * through that method and keep the copy for their nonce-reuse check. Not thread-safe: one owner, as the
 * Cipher it feeds.
 */
final class NonceSpec extends IvParameterSpec {

    private final byte[] nonce = new byte[Nonces.NONCE_LENGTH];

    NonceSpec() {
        super(new byte[Nonces.NONCE_LENGTH]);
    }

    /** Copies a 12-byte nonce in; returns this. */
    NonceSpec set(byte[] nonce12) {
        System.arraycopy(nonce12, 0, nonce, 0, Nonces.NONCE_LENGTH);
        return this;
    }

    @Override
    public byte[] getIV() {
        return nonce.clone();
    }
}
