package dev.culvert.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.spec.IvParameterSpec;

/**
 * {@link ChaCha20Poly1305Engine} over the JDK's {@code ChaCha20-Poly1305} Cipher: one Cipher, re-initialised
 * per packet with that packet's nonce. The only per-packet allocation is the {@link IvParameterSpec}
 * (it copies its array) plus whatever the JDK allocates internally.
 *
 * <p>The JDK refuses to initialise twice in a row with the same key and nonce. For encryption that
 * would be nonce reuse, a caller bug, and is reported as {@link IllegalStateException}. For decryption it
 * is legitimate (a replayed packet is decrypted before the replay window drops it), so the Cipher is first
 * moved to a nonce WireGuard never uses and then back.
 */
final class JdkChaCha20Poly1305 implements ChaCha20Poly1305Engine {

    private static final String TRANSFORMATION = "ChaCha20-Poly1305";
    /** A nonce no WireGuard counter produces (its first four bytes are never non-zero). */
    private static final byte[] DETOUR_NONCE = {(byte) 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

    private final Cipher cipher;
    private final RawChaChaKey key;

    JdkChaCha20Poly1305(byte[] keyBytes) {
        try {
            this.cipher = Cipher.getInstance(TRANSFORMATION);
        } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
            throw new IllegalStateException("this JDK has no " + TRANSFORMATION
                    + " Cipher; run with -D" + ChaCha20Poly1305Factory.PROPERTY + "=bc", e);
        }
        this.key = new RawChaChaKey(keyBytes);
    }

    @Override
    public int seal(byte[] nonce12, ByteBuffer src, ByteBuffer dst) {
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(nonce12));
        } catch (InvalidKeyException e) {
            throw new IllegalStateException("refusing to encrypt twice under the same key and nonce", e);
        } catch (InvalidAlgorithmParameterException e) {
            throw new IllegalStateException(TRANSFORMATION + " rejected a " + nonce12.length + "-byte nonce", e);
        }
        try {
            return cipher.doFinal(src, dst);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(TRANSFORMATION + " encryption of " + src.remaining() + " bytes failed", e);
        }
    }

    @Override
    public int open(byte[] nonce12, ByteBuffer src, ByteBuffer dst) throws AEADBadTagException {
        int length = src.remaining();
        initDecrypt(nonce12);
        try {
            return cipher.doFinal(src, dst);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            AEADBadTagException bad = new AEADBadTagException(
                    TRANSFORMATION + " decryption of " + length + " bytes failed: " + e.getMessage());
            bad.initCause(e);
            throw bad;
        }
    }

    private void initDecrypt(byte[] nonce12) throws AEADBadTagException {
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(nonce12));
        } catch (InvalidKeyException sameKeyAndNonce) {
            try {
                cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(DETOUR_NONCE));
                cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(nonce12));
            } catch (GeneralSecurityException e) {
                AEADBadTagException bad = new AEADBadTagException(
                        TRANSFORMATION + " could not be initialised for decryption: " + e.getMessage());
                bad.initCause(e);
                throw bad;
            }
        } catch (InvalidAlgorithmParameterException e) {
            throw new IllegalStateException(TRANSFORMATION + " rejected a " + nonce12.length + "-byte nonce", e);
        }
    }

    @Override
    public ChaCha20Poly1305Factory.Implementation implementation() {
        return ChaCha20Poly1305Factory.Implementation.JDK;
    }

    @Override
    public void close() {
        try {
            // Drop the session key's state from the Cipher (best effort: JDK internals may keep copies until GC).
            cipher.init(Cipher.DECRYPT_MODE, new RawChaChaKey(new byte[Aead.KEY_LENGTH]),
                    new IvParameterSpec(DETOUR_NONCE));
        } catch (GeneralSecurityException ignored) {
            // Nothing more can be done; the key copy below is still wiped.
        }
        key.destroy();
    }
}
