package dev.culvert.crypto;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * WireGuard's key text format, as {@code wg genkey}, {@code wg pubkey} and {@code wg genpsk} print it:
 * standard base64 (RFC 4648 section 4) of 32 bytes, 44 characters ending in one {@code '='}.
 */
public final class Keys {

    /** Length of every WireGuard key (private, public, preshared), in bytes. */
    public static final int KEY_LENGTH = 32;
    /** Length of the text form of a key, in characters. */
    public static final int ENCODED_LENGTH = 44;

    private Keys() {
    }

    /**
     * Decodes a key from its base64 text. Surrounding whitespace (such as the newline {@code wg genkey}
     * prints) is ignored.
     *
     * @throws IllegalArgumentException if the text is not base64 of exactly 32 bytes; the message
     *                                  never contains the text itself, since it may be a secret
     */
    public static byte[] parse(String base64) {
        if (base64 == null) {
            throw new IllegalArgumentException("key text is missing");
        }
        String text = base64.strip();
        if (text.length() != ENCODED_LENGTH) {
            throw new IllegalArgumentException("key text must be " + ENCODED_LENGTH
                    + " base64 characters (" + KEY_LENGTH + " bytes), got " + text.length() + " characters");
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            // Base64's own message quotes the offending character; do not chain it.
            throw new IllegalArgumentException("key text is not valid base64");
        }
        if (key.length != KEY_LENGTH) {
            int length = key.length;
            Secrets.wipe(key);
            throw new IllegalArgumentException("key text must decode to " + KEY_LENGTH + " bytes, got " + length);
        }
        return key;
    }

    /** Encodes a 32-byte key as 44 characters of standard base64. */
    public static String encode(byte[] key) {
        if (key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("a key is " + KEY_LENGTH + " bytes, got " + key.length);
        }
        return Base64.getEncoder().encodeToString(key);
    }

    /** Returns 32 random bytes, as {@code wg genpsk} does. */
    public static byte[] generatePresharedKey(SecureRandom rnd) {
        byte[] key = new byte[KEY_LENGTH];
        rnd.nextBytes(key);
        return key;
    }
}
