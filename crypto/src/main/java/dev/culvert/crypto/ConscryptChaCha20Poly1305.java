package dev.culvert.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Provider;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;

/**
 * {@link ChaCha20Poly1305Engine} over Conscrypt's ChaCha20-Poly1305 (BoringSSL's {@code EVP_AEAD}, through
 * JNI), used through Conscrypt's own {@link Provider} instance ({@link ConscryptSupport}); Conscrypt is never
 * installed as a JCA provider of the process. One Cipher per engine, re-initialised per packet with a reused
 * {@link NonceSpec}.
 *
 * <p>In place: direct buffers go straight to BoringSSL (which allows input and output to be the same
 * memory) through {@code Cipher.doFinal(ByteBuffer, ByteBuffer)}. The JCA refuses one object as both
 * input and output, so the output is the caller's buffer itself and the input a duplicate of it, kept
 * while the same buffer object comes back (one 48-byte object per new buffer object otherwise). Heap
 * buffers use the array form, which Conscrypt stages through its own reusable buffer.
 *
 * <p>Conscrypt, like the JDK, refuses to encrypt twice in a row under the same key and nonce
 * ({@code InvalidAlgorithmParameterException}); that is reported as {@link IllegalStateException}.
 * It makes no such check when decrypting, so a replayed packet needs no detour.
 */
final class ConscryptChaCha20Poly1305 implements ChaCha20Poly1305Engine {

    private final Cipher cipher;
    private final RawChaChaKey key;
    private final NonceSpec spec = new NonceSpec();
    /** The caller's buffer {@link #input} duplicates; remade when another buffer object comes. */
    private ByteBuffer viewed;
    private ByteBuffer input;
    private ByteBuffer output;

    ConscryptChaCha20Poly1305(byte[] keyBytes) {
        this.cipher = ConscryptSupport.newCipher();
        this.key = new RawChaChaKey(keyBytes);
    }

    @Override
    public int seal(byte[] nonce12, ByteBuffer src, ByteBuffer dst) {
        initEncrypt(nonce12);
        try {
            if (src.isDirect() && dst.isDirect()) {
                return cipher.doFinal(src, dst);
            }
            int length = src.remaining();
            byte[] in = arrayOf(src, length);
            int written;
            if (dst.hasArray()) {
                written = cipher.doFinal(in, 0, length, dst.array(), dst.arrayOffset() + dst.position());
                dst.position(dst.position() + written);
            } else {
                byte[] out = cipher.doFinal(in, 0, length);
                dst.put(out);
                written = out.length;
            }
            return written;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(ConscryptSupport.TRANSFORMATION + " encryption failed", e);
        }
    }

    @Override
    public int open(byte[] nonce12, ByteBuffer src, ByteBuffer dst) throws AEADBadTagException {
        int length = src.remaining();
        initDecrypt(nonce12);
        try {
            if (src.isDirect() && dst.isDirect()) {
                return cipher.doFinal(src, dst);
            }
            byte[] in = arrayOf(src, length);
            byte[] out = cipher.doFinal(in, 0, length);
            dst.put(out);
            return out.length;
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw badTag(length, e);
        }
    }

    /** The remaining bytes of a buffer as an array (consumed); rare paths only (mixed heap and direct). */
    private static byte[] arrayOf(ByteBuffer src, int length) {
        byte[] in = new byte[length];
        src.get(in);
        return in;
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
            views(buf, offset, length, length + Aead.TAG_LENGTH);
            return cipher.doFinal(input, output);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(ConscryptSupport.TRANSFORMATION + " encryption of " + length
                    + " bytes failed", e);
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
            if (buf.hasArray()) {
                byte[] array = buf.array();
                int at = buf.arrayOffset() + offset;
                return cipher.doFinal(array, at, length, array, at);
            }
            views(buf, offset, length, length - Aead.TAG_LENGTH);
            return cipher.doFinal(input, output);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw badTag(length, e);
        }
    }

    /**
     * Points the input view at {@code [offset, offset + inLength)} and the output, which is {@code buf}
     * itself (its position and limit are the engine's to move), at {@code [offset, offset + outLength)}.
     * The input view is a duplicate of {@code buf}, made again only when another buffer object comes.
     */
    private void views(ByteBuffer buf, int offset, int inLength, int outLength) {
        if (buf != viewed) {
            viewed = buf;
            input = buf.duplicate();
        }
        input.clear().position(offset).limit(offset + inLength);
        buf.limit(buf.capacity()).position(offset).limit(offset + outLength);
        output = buf;
    }

    private static AEADBadTagException badTag(int length, GeneralSecurityException e) {
        AEADBadTagException bad = new AEADBadTagException(ConscryptSupport.TRANSFORMATION + " decryption of "
                + length + " bytes failed: " + e.getMessage());
        bad.initCause(e);
        return bad;
    }

    private void initEncrypt(byte[] nonce12) {
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, spec.set(nonce12));
        } catch (InvalidAlgorithmParameterException e) {
            // Conscrypt's words: "When using AEAD key and IV must not be re-used".
            throw new IllegalStateException("refusing to encrypt twice under the same key and nonce", e);
        } catch (InvalidKeyException e) {
            throw new IllegalStateException(ConscryptSupport.TRANSFORMATION + " rejected the key", e);
        }
    }

    private void initDecrypt(byte[] nonce12) throws AEADBadTagException {
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, spec.set(nonce12));
        } catch (GeneralSecurityException e) {
            AEADBadTagException bad = new AEADBadTagException(ConscryptSupport.TRANSFORMATION
                    + " could not be initialised for decryption: " + e.getMessage());
            bad.initCause(e);
            throw bad;
        }
    }

    @Override
    public ChaCha20Poly1305Factory.Implementation implementation() {
        return ChaCha20Poly1305Factory.Implementation.CONSCRYPT;
    }

    @Override
    public void close() {
        viewed = null;
        input = null;
        output = null;
        try {
            // Replace the session key held by the Cipher with an all-zero one (best effort).
            cipher.init(Cipher.DECRYPT_MODE, new RawChaChaKey(new byte[Aead.KEY_LENGTH]), spec.set(new byte[12]));
        } catch (GeneralSecurityException ignored) {
            // Nothing more can be done; the key copy below is still wiped.
        }
        key.destroy();
    }
}
