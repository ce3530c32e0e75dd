package dev.culvert.crypto;

/**
 * WireGuard's {@code KDF_n(key, input)} (paper section 5.4): HKDF (RFC 5869) with HMAC-BLAKE2s,
 * an empty "info" and one-byte counters.
 *
 * <pre>
 *   t0 = HMAC(key, input)
 *   t1 = HMAC(t0, 0x01)
 *   t2 = HMAC(t0, t1 || 0x02)
 *   t3 = HMAC(t0, t2 || 0x03)
 * </pre>
 */
public final class Kdf {

    /** Largest number of outputs WireGuard asks for. */
    public static final int MAX_OUTPUTS = 3;

    private Kdf() {
    }

    /**
     * Derives {@code n} 32-byte keys from a chaining key and an input.
     *
     * @param n number of outputs, 1 to 3
     * @return {@code n} fresh arrays of 32 bytes, in order {@code t1..tn}
     */
    public static byte[][] kdf(byte[] chainingKey, byte[] input, int n) {
        if (n < 1 || n > MAX_OUTPUTS) {
            throw new IllegalArgumentException("KDF output count must be 1.." + MAX_OUTPUTS + ", got " + n);
        }
        byte[] prk = Blake2s.hmac(chainingKey, input);
        try {
            byte[][] out = new byte[n][];
            byte[] previous = new byte[0];
            for (int i = 0; i < n; i++) {
                byte[] counter = {(byte) (i + 1)};
                out[i] = Blake2s.hmac(prk, previous, counter);
                previous = out[i];
            }
            return out;
        } finally {
            Secrets.wipe(prk);
        }
    }
}
