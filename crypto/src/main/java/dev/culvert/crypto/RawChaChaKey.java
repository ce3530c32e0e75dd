package dev.culvert.crypto;

import javax.crypto.SecretKey;

/**
 * A ChaCha20 key for the JDK's Cipher whose bytes this package can wipe ({@code SecretKeySpec} keeps an
 * unreachable copy). {@link #getEncoded} hands out a copy, as the {@code Key} contract asks.
 */
final class RawChaChaKey implements SecretKey {

    private static final long serialVersionUID = 1L;

    private final byte[] key;
    private boolean destroyed;

    RawChaChaKey(byte[] key) {
        this.key = key.clone();
    }

    @Override
    public String getAlgorithm() {
        return "ChaCha20";
    }

    @Override
    public String getFormat() {
        return "RAW";
    }

    @Override
    public byte[] getEncoded() {
        if (destroyed) {
            throw new IllegalStateException("ChaCha20 key has been destroyed");
        }
        return key.clone();
    }

    @Override
    public void destroy() {
        Secrets.wipe(key);
        destroyed = true;
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    /** Keys are never serialized. */
    private void writeObject(java.io.ObjectOutputStream out) throws java.io.NotSerializableException {
        throw new java.io.NotSerializableException("ChaCha20 session keys are not serializable");
    }

    @Override
    public String toString() {
        return "RawChaChaKey[redacted]";
    }
}
