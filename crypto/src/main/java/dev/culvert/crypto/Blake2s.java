package dev.culvert.crypto;

import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * BLAKE2s (RFC 7693) in the three forms the WireGuard paper uses (section 5.4):
 * {@code HASH} (BLAKE2s-256), {@code MAC} (keyed BLAKE2s with a 16-byte output) and
 * {@code HMAC} (RFC 2104 over BLAKE2s-256, block size 64).
 *
 * <p>Each call uses a fresh Bouncy Castle digest, so the methods are thread-safe.
 * Handshakes are rare enough that the allocation does not matter.
 */
public final class Blake2s {

    /** Output length of {@code HASH} and {@code HMAC}, in bytes. */
    public static final int HASH_LENGTH = 32;
    /** Output length of {@code MAC}, in bytes. */
    public static final int MAC_LENGTH = 16;
    /** Largest key keyed BLAKE2s accepts (RFC 7693 section 2.1). */
    public static final int MAX_KEY_LENGTH = 32;

    private static final int HASH_BITS = HASH_LENGTH * Byte.SIZE;

    private Blake2s() {
    }

    /**
     * {@code HASH(parts[0] || parts[1] || ...)}: unkeyed BLAKE2s-256, 32 bytes.
     *
     * <p>Beware: a call with exactly three arrays binds to {@link #hash(byte[], byte[], byte[])}, the
     * in-place form. To hash three parts, pass {@code new byte[][] {a, b, c}}.
     */
    public static byte[] hash(byte[]... parts) {
        Blake2sDigest digest = new Blake2sDigest(HASH_BITS);
        update(digest, parts);
        byte[] out = new byte[HASH_LENGTH];
        digest.doFinal(out, 0);
        return out;
    }

    /**
     * Sets {@code out32 = HASH(a || b)}. {@code out32} may be the same array as {@code a} or {@code b},
     * which is how the Noise handshake hash {@code h} is chained without allocation.
     */
    public static void hash(byte[] out32, byte[] a, byte[] b) {
        if (out32.length != HASH_LENGTH) {
            throw new IllegalArgumentException("hash output must be " + HASH_LENGTH + " bytes, got " + out32.length);
        }
        Blake2sDigest digest = new Blake2sDigest(HASH_BITS);
        digest.update(a, 0, a.length);
        digest.update(b, 0, b.length);
        digest.doFinal(out32, 0);
    }

    /**
     * {@code MAC(key, parts...)}: keyed BLAKE2s with a 16-byte digest (WireGuard's mac1/mac2 and cookie).
     *
     * @param key 1 to 32 bytes
     */
    public static byte[] mac(byte[] key, byte[]... parts) {
        if (key.length < 1 || key.length > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException(
                    "keyed BLAKE2s needs a key of 1.." + MAX_KEY_LENGTH + " bytes, got " + key.length);
        }
        Blake2sDigest digest = new Blake2sDigest(key, MAC_LENGTH, null, null);
        update(digest, parts);
        byte[] out = new byte[MAC_LENGTH];
        digest.doFinal(out, 0);
        digest.clearKey();
        return out;
    }

    /** {@code HMAC(key, parts...)}: RFC 2104 HMAC over BLAKE2s-256 (64-byte block), 32 bytes. */
    public static byte[] hmac(byte[] key, byte[]... parts) {
        HMac hmac = new HMac(new Blake2sDigest(HASH_BITS));
        hmac.init(new KeyParameter(key));
        for (byte[] part : parts) {
            hmac.update(part, 0, part.length);
        }
        byte[] out = new byte[HASH_LENGTH];
        hmac.doFinal(out, 0);
        return out;
    }

    private static void update(Blake2sDigest digest, byte[][] parts) {
        for (byte[] part : parts) {
            digest.update(part, 0, part.length);
        }
    }
}
