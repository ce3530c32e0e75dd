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
 * per packet with that packet's nonce through one reused {@link NonceSpec}.
 *
 * <p>The copying {@link #seal}/{@link #open} use the same scratch array when either buffer is direct.
 *
 * <p>In place: heap buffers are processed in their backing array; direct buffers are copied into one heap
 * scratch array (grown to the largest packet, reused), processed there and copied back, because the JDK's
 * ByteBuffer path for direct buffers goes through {@code CipherSpi}'s temporary arrays (about 3.7 KB of
 * garbage per 1420-byte packet on Java 17). Decryption always runs at array offset 0: JDK 17's
 * ChaCha20Cipher buffers (and copies) ciphertext that does not start at offset 0. What remains per packet
 * is what the JDK allocates inside {@code init} (key and nonce copies, the Poly1305 key).
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
    private static final byte[] EMPTY = new byte[0];

    private final Cipher cipher;
    private final RawChaChaKey key;
    private final NonceSpec spec = new NonceSpec();
    private byte[] scratch = EMPTY;

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
        initEncrypt(nonce12);
        try {
            if (src.hasArray() && dst.hasArray()) {
                return cipher.doFinal(src, dst);
            }
            int length = src.remaining();                         // direct: through the scratch array
            byte[] work = scratch(length + Aead.TAG_LENGTH);
            src.get(work, 0, length);
            int written = cipher.doFinal(work, 0, length, work, 0);
            dst.put(work, 0, written);
            return written;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(TRANSFORMATION + " encryption of " + src.remaining() + " bytes failed", e);
        }
    }

    @Override
    public int open(byte[] nonce12, ByteBuffer src, ByteBuffer dst) throws AEADBadTagException {
        int length = src.remaining();
        initDecrypt(nonce12);
        try {
            if (src.hasArray() && dst.hasArray()) {
                return cipher.doFinal(src, dst);
            }
            byte[] work = scratch(length);                        // direct: through the scratch array
            src.get(work, 0, length);
            int plain = cipher.doFinal(work, 0, length, work, 0);
            dst.put(work, 0, plain);
            return plain;
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw badTag(length, e);
        }
    }

    @Override
    public int sealInPlace(byte[] nonce12, byte[] ad, ByteBuffer buf, int offset, int length) {
        initEncrypt(nonce12);
        if (ad != null) {
            cipher.updateAAD(ad);
        }
        try {
            if (buf.hasArray()) {
                byte[] array = buf.array();
                int at = buf.arrayOffset() + offset;
                return cipher.doFinal(array, at, length, array, at);
            }
            byte[] work = scratch(length + Aead.TAG_LENGTH);
            buf.get(offset, work, 0, length);
            int written = cipher.doFinal(work, 0, length, work, 0);
            buf.put(offset, work, 0, written);
            return written;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(TRANSFORMATION + " encryption of " + length + " bytes failed", e);
        }
    }

    @Override
    public int openInPlace(byte[] nonce12, byte[] ad, ByteBuffer buf, int offset, int length)
            throws AEADBadTagException {
        initDecrypt(nonce12);
        if (ad != null) {
            cipher.updateAAD(ad);
        }
        try {
            if (buf.hasArray() && buf.arrayOffset() + offset == 0) {
                byte[] array = buf.array();
                return cipher.doFinal(array, 0, length, array, 0);
            }
            byte[] work = scratch(length);
            buf.get(offset, work, 0, length);
            int plain = cipher.doFinal(work, 0, length, work, 0);
            buf.put(offset, work, 0, plain);
            return plain;
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw badTag(length, e);
        }
    }

    private byte[] scratch(int needed) {
        if (scratch.length < needed) {
            Secrets.wipe(scratch);
            scratch = new byte[Math.max(needed, 2048)];
        }
        return scratch;
    }

    private static AEADBadTagException badTag(int length, GeneralSecurityException e) {
        AEADBadTagException bad = new AEADBadTagException(
                TRANSFORMATION + " decryption of " + length + " bytes failed: " + e.getMessage());
        bad.initCause(e);
        return bad;
    }

    private void initEncrypt(byte[] nonce12) {
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, spec.set(nonce12));
        } catch (InvalidKeyException e) {
            throw new IllegalStateException("refusing to encrypt twice under the same key and nonce", e);
        } catch (InvalidAlgorithmParameterException e) {
            throw new IllegalStateException(TRANSFORMATION + " rejected a " + nonce12.length + "-byte nonce", e);
        }
    }

    private void initDecrypt(byte[] nonce12) throws AEADBadTagException {
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, spec.set(nonce12));
        } catch (InvalidKeyException sameKeyAndNonce) {
            try {
                cipher.init(Cipher.DECRYPT_MODE, key, spec.set(DETOUR_NONCE));
                cipher.init(Cipher.DECRYPT_MODE, key, spec.set(nonce12));
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
        Secrets.wipe(scratch);
    }
}
