package dev.culvert.crypto;

/**
 * WireGuard's 96-bit ChaCha20-Poly1305 nonce (paper section 5.4.6):
 *
 * <pre>
 *   offset 0: 4 bytes  zero
 *   offset 4: 8 bytes  counter, little-endian
 * </pre>
 */
final class Nonces {

    /** Length of a ChaCha20-Poly1305 nonce (RFC 8439 section 2.8). */
    static final int NONCE_LENGTH = 12;

    private static final int ZERO_PREFIX_LENGTH = 4;

    private Nonces() {
    }

    /** Writes the WireGuard nonce for {@code counter} into {@code nonce12}, overwriting all 12 bytes. */
    static void write(byte[] nonce12, long counter) {
        for (int i = 0; i < ZERO_PREFIX_LENGTH; i++) {
            nonce12[i] = 0;
        }
        for (int i = 0; i < Long.BYTES; i++) {
            nonce12[ZERO_PREFIX_LENGTH + i] = (byte) (counter >>> (Byte.SIZE * i));
        }
    }

    /** Returns a fresh WireGuard nonce for {@code counter}. */
    static byte[] of(long counter) {
        byte[] nonce = new byte[NONCE_LENGTH];
        write(nonce, counter);
        return nonce;
    }
}
