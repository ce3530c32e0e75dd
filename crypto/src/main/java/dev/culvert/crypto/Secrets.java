package dev.culvert.crypto;

import java.security.MessageDigest;
import java.util.Arrays;

/** Handling of secret byte arrays: wiping, and equality that does not leak where two arrays differ. */
public final class Secrets {

    private Secrets() {
    }

    /** Overwrites every given array with zeros; {@code null} arrays are skipped. */
    public static void wipe(byte[]... arrays) {
        for (byte[] array : arrays) {
            if (array != null) {
                Arrays.fill(array, (byte) 0);
            }
        }
    }

    /**
     * Compares two arrays in time that depends only on their lengths, never on their contents.
     *
     * @return true if both are non-null, of equal length and equal content
     */
    public static boolean constantTimeEquals(byte[] a, byte[] b) {
        if (a == null || b == null) {
            return false;
        }
        return MessageDigest.isEqual(a, b);
    }
}
