package dev.culvert.crypto;

/**
 * HChaCha20 (draft-irtf-cfrg-xchacha-03 section 2.2): the ChaCha20 block function over
 * {@code constants || key || 16-byte input}, without the final addition of the input state, returning
 * state words 0..3 and 12..15 as a 32-byte subkey.
 */
final class HChaCha20 {

    /** "expand 32-byte k", little-endian words (RFC 8439 section 2.3). */
    private static final int[] SIGMA = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
    private static final int DOUBLE_ROUNDS = 10;
    private static final int STATE_WORDS = 16;
    private static final int KEY_WORD = 4;
    private static final int INPUT_WORD = 12;
    private static final int KEY_WORDS = 8;
    private static final int INPUT_WORDS = 4;
    private static final int SUBKEY_LENGTH = 32;

    private HChaCha20() {
    }

    /** Derives the subkey from a 32-byte key and the first 16 bytes of {@code input}. */
    static byte[] subkey(byte[] key, byte[] input) {
        int[] x = new int[STATE_WORDS];
        System.arraycopy(SIGMA, 0, x, 0, SIGMA.length);
        for (int i = 0; i < KEY_WORDS; i++) {
            x[KEY_WORD + i] = littleEndian(key, i * Integer.BYTES);
        }
        for (int i = 0; i < INPUT_WORDS; i++) {
            x[INPUT_WORD + i] = littleEndian(input, i * Integer.BYTES);
        }
        for (int i = 0; i < DOUBLE_ROUNDS; i++) {
            quarterRound(x, 0, 4, 8, 12);   // columns
            quarterRound(x, 1, 5, 9, 13);
            quarterRound(x, 2, 6, 10, 14);
            quarterRound(x, 3, 7, 11, 15);
            quarterRound(x, 0, 5, 10, 15);  // diagonals
            quarterRound(x, 1, 6, 11, 12);
            quarterRound(x, 2, 7, 8, 13);
            quarterRound(x, 3, 4, 9, 14);
        }
        byte[] out = new byte[SUBKEY_LENGTH];
        for (int i = 0; i < 4; i++) {
            putLittleEndian(out, i * Integer.BYTES, x[i]);
            putLittleEndian(out, (4 + i) * Integer.BYTES, x[INPUT_WORD + i]);
        }
        java.util.Arrays.fill(x, 0);
        return out;
    }

    /** RFC 8439 section 2.1. */
    private static void quarterRound(int[] x, int a, int b, int c, int d) {
        x[a] += x[b];
        x[d] = Integer.rotateLeft(x[d] ^ x[a], 16);
        x[c] += x[d];
        x[b] = Integer.rotateLeft(x[b] ^ x[c], 12);
        x[a] += x[b];
        x[d] = Integer.rotateLeft(x[d] ^ x[a], 8);
        x[c] += x[d];
        x[b] = Integer.rotateLeft(x[b] ^ x[c], 7);
    }

    private static int littleEndian(byte[] in, int offset) {
        return (in[offset] & 0xFF)
                | (in[offset + 1] & 0xFF) << 8
                | (in[offset + 2] & 0xFF) << 16
                | (in[offset + 3] & 0xFF) << 24;
    }

    private static void putLittleEndian(byte[] out, int offset, int value) {
        out[offset] = (byte) value;
        out[offset + 1] = (byte) (value >>> 8);
        out[offset + 2] = (byte) (value >>> 16);
        out[offset + 3] = (byte) (value >>> 24);
    }
}
