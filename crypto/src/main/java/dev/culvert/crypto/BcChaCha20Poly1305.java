package dev.culvert.crypto;

import java.nio.ByteBuffer;
import javax.crypto.AEADBadTagException;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * {@link ChaCha20Poly1305Engine} over Bouncy Castle's pure-Java ChaCha20-Poly1305. Heap buffers are
 * processed in their backing arrays; direct buffers go through two scratch arrays that grow to the
 * largest packet seen and are reused, so steady-state traffic allocates only the small
 * {@link ParametersWithIV} per packet. In place, the input is first copied to the scratch array (Bouncy
 * Castle copies overlapping input into a new array of its own otherwise), then processed into the
 * buffer's array (heap) or the second scratch array (direct, copied back).
 */
final class BcChaCha20Poly1305 implements ChaCha20Poly1305Engine {

    private static final byte[] EMPTY = new byte[0];
    private static final byte[] CLOSED_NONCE = new byte[Nonces.NONCE_LENGTH];

    private final ChaCha20Poly1305 cipher = new ChaCha20Poly1305();
    private final KeyParameter key;
    private byte[] scratchIn = EMPTY;
    private byte[] scratchOut = EMPTY;

    BcChaCha20Poly1305(byte[] keyBytes) {
        this.key = new KeyParameter(keyBytes);               // copies
    }

    @Override
    public int seal(byte[] nonce12, ByteBuffer src, ByteBuffer dst) {
        try {
            cipher.init(true, new ParametersWithIV(key, nonce12));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("refusing to encrypt twice under the same key and nonce", e);
        }
        try {
            return process(src, dst, src.remaining() + Aead.TAG_LENGTH);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e); // cannot happen when sealing
        }
    }

    @Override
    public int open(byte[] nonce12, ByteBuffer src, ByteBuffer dst) throws AEADBadTagException {
        int length = src.remaining();
        cipher.init(false, new ParametersWithIV(key, nonce12));
        try {
            return process(src, dst, length - Aead.TAG_LENGTH);
        } catch (InvalidCipherTextException e) {
            throw new AEADBadTagException("ChaCha20-Poly1305 tag mismatch on " + length + "-byte input");
        }
    }

    @Override
    public int sealInPlace(byte[] nonce12, byte[] ad, ByteBuffer buf, int offset, int length) {
        try {
            cipher.init(true, new ParametersWithIV(key, nonce12));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("refusing to encrypt twice under the same key and nonce", e);
        }
        try {
            return processInPlace(ad, buf, offset, length, length + Aead.TAG_LENGTH);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e); // cannot happen when sealing
        }
    }

    @Override
    public int openInPlace(byte[] nonce12, byte[] ad, ByteBuffer buf, int offset, int length)
            throws AEADBadTagException {
        cipher.init(false, new ParametersWithIV(key, nonce12));
        try {
            return processInPlace(ad, buf, offset, length, length - Aead.TAG_LENGTH);
        } catch (InvalidCipherTextException e) {
            throw new AEADBadTagException("ChaCha20-Poly1305 tag mismatch on " + length + "-byte input");
        }
    }

    private int processInPlace(byte[] ad, ByteBuffer buf, int offset, int inLength, int outLength)
            throws InvalidCipherTextException {
        if (ad != null) {
            cipher.processAADBytes(ad, 0, ad.length);
        }
        byte[] in = scratchIn = grow(scratchIn, inLength);
        buf.get(offset, in, 0, inLength);
        boolean direct = !buf.hasArray();
        byte[] out;
        int outOffset;
        if (direct) {
            out = scratchOut = grow(scratchOut, outLength);
            outOffset = 0;
        } else {
            out = buf.array();
            outOffset = buf.arrayOffset() + offset;
        }
        int written = cipher.processBytes(in, 0, inLength, out, outOffset);
        written += cipher.doFinal(out, outOffset + written);
        if (direct) {
            buf.put(offset, out, 0, written);
        }
        return written;
    }

    /** Runs the initialised cipher over all of {@code src} into {@code dst}, which has room for {@code outLength}. */
    private int process(ByteBuffer src, ByteBuffer dst, int outLength) throws InvalidCipherTextException {
        int inLength = src.remaining();
        byte[] in;
        int inOffset;
        if (src.hasArray()) {
            in = src.array();
            inOffset = src.arrayOffset() + src.position();
            src.position(src.position() + inLength);
        } else {
            in = scratchIn = grow(scratchIn, inLength);
            inOffset = 0;
            src.get(in, 0, inLength);
        }
        boolean direct = !dst.hasArray();
        byte[] out;
        int outOffset;
        if (direct) {
            out = scratchOut = grow(scratchOut, outLength);
            outOffset = 0;
        } else {
            out = dst.array();
            outOffset = dst.arrayOffset() + dst.position();
        }
        int written = cipher.processBytes(in, inOffset, inLength, out, outOffset);
        written += cipher.doFinal(out, outOffset + written);
        if (direct) {
            dst.put(out, 0, written);
        } else {
            dst.position(dst.position() + written);
        }
        return written;
    }

    private static byte[] grow(byte[] scratch, int needed) {
        return scratch.length >= needed ? scratch : new byte[needed];
    }

    @Override
    public ChaCha20Poly1305Factory.Implementation implementation() {
        return ChaCha20Poly1305Factory.Implementation.BOUNCY_CASTLE;
    }

    @Override
    public void close() {
        Secrets.wipe(key.getKey(), scratchIn, scratchOut);   // getKey() returns the parameter's own array
        // Overwrite the engine's key-derived state with that of an all-zero key.
        cipher.init(false, new ParametersWithIV(new KeyParameter(new byte[Aead.KEY_LENGTH]), CLOSED_NONCE));
    }
}
