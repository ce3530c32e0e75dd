package dev.culvert.protocol.vtun;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * vtund's authentication exchange over TCP (VTUN.md §2.1, vtund {@code auth.c}): every message is exactly
 * {@value #MESSAGE_SIZE} bytes of ASCII ending in {@code \n}, NUL-padded. Server: {@code VTUN server ver ...};
 * client: {@code HOST: <session>}; server: {@code OK CHAL: <32 letters>}; client: {@code CHAL: <32 letters>} (the
 * 16-byte challenge Blowfish-ECB encrypted under MD5(password)); server: {@code OK FLAGS: <...>} or {@code ERR}.
 */
public final class VtunAuth {
    /** Bytes of every authentication message ({@code VTUN_MESG_SIZE}). */
    public static final int MESSAGE_SIZE = 50;
    /** Bytes of the challenge ({@code VTUN_CHAL_SIZE}). */
    public static final int CHALLENGE_SIZE = 16;
    /** What Culvert's server says first; a vtund client checks only the "VTUN" prefix. */
    public static final String SERVER_GREETING = "VTUN server ver 3.X 05/14/2022 (culvert)";

    private static final SecureRandom RANDOM = new SecureRandom();

    private VtunAuth() {
    }

    /**
     * One message: {@code text} and {@code \n}, padded with NULs to {@value #MESSAGE_SIZE} bytes.
     *
     * @throws IllegalArgumentException if the text is longer than 49 bytes
     */
    public static byte[] message(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length > MESSAGE_SIZE - 1) {
            throw new IllegalArgumentException("vtund message over " + (MESSAGE_SIZE - 1) + " bytes");
        }
        byte[] out = new byte[MESSAGE_SIZE];
        System.arraycopy(bytes, 0, out, 0, bytes.length);
        out[bytes.length] = '\n';
        return out;
    }

    /** The text of a received message: up to the first NUL, CR or LF (as vtund's strtok), printable ASCII only. */
    public static String text(byte[] message) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < Math.min(message.length, MESSAGE_SIZE - 1); i++) {
            int c = message[i] & 0xff;
            if (c == 0 || c == '\n' || c == '\r') {
                break;
            }
            text.append(c >= 0x20 && c < 0x7f ? (char) c : '?');
        }
        return text.toString();
    }

    /** A fresh random challenge. */
    public static byte[] challenge() {
        byte[] c = new byte[CHALLENGE_SIZE];
        RANDOM.nextBytes(c);
        return c;
    }

    /** {@code <...>}: each byte as two letters 'a'+high nibble, 'a'+low nibble ({@code auth.c:cl2cs}). */
    public static String encode(byte[] challenge) {
        StringBuilder s = new StringBuilder("<");
        for (byte b : challenge) {
            s.append((char) ('a' + ((b >> 4) & 0xf))).append((char) ('a' + (b & 0xf)));
        }
        return s.append('>').toString();
    }

    /**
     * The challenge in a message's text ({@code auth.c:cs2cl}): the 32 letters a..p between the first {@code <}
     * and the next {@code >}.
     *
     * @return the 16 bytes, or null if there are none or they are malformed
     */
    public static byte[] decode(String text) {
        int start = text.indexOf('<');
        int end = start < 0 ? -1 : text.indexOf('>', start);
        if (end - start - 1 != CHALLENGE_SIZE * 2) {
            return null;
        }
        byte[] out = new byte[CHALLENGE_SIZE];
        for (int i = 0; i < CHALLENGE_SIZE; i++) {
            int hi = text.charAt(start + 1 + 2 * i) - 'a';
            int lo = text.charAt(start + 2 + 2 * i) - 'a';
            if (hi < 0 || hi > 15 || lo < 0 || lo > 15) {
                return null;
            }
            out[i] = (byte) (hi << 4 | lo);
        }
        return out;
    }

    /** The client's answer to {@code challenge}: Blowfish-ECB under MD5(password), two 8-byte blocks. */
    public static byte[] respond(byte[] password, byte[] challenge) {
        return blowfish(password, challenge, Cipher.ENCRYPT_MODE);
    }

    /** True if {@code response} is {@code challenge} encrypted under {@code password}; constant time. */
    public static boolean verify(byte[] password, byte[] challenge, byte[] response) {
        byte[] expected = respond(password, challenge);
        return response != null && MessageDigest.isEqual(expected, response);
    }

    /** MD5 of the password: vtund's 128-bit key for the challenge and the 128-bit ciphers (VTUN.md §2.7). */
    public static byte[] md5(byte[] data, int offset, int length) {
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            md5.update(data, offset, length);
            return md5.digest();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("MD5 is missing from this JDK", e);
        }
    }

    private static byte[] blowfish(byte[] password, byte[] block, int mode) {
        byte[] key = md5(password, 0, password.length);
        try {
            Cipher bf = Cipher.getInstance("Blowfish/ECB/NoPadding");
            bf.init(mode, new SecretKeySpec(key, "Blowfish"));
            return bf.doFinal(block);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Blowfish is missing from this JDK", e);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }
}
