package dev.culvert.crypto;

import java.security.InvalidKeyException;
import java.security.SecureRandom;

/** X25519 Diffie-Hellman (RFC 7748 section 5) on 32-byte little-endian keys, via Bouncy Castle. */
public final class X25519 {

    /** Length of private keys, public keys and shared secrets, in bytes. */
    public static final int KEY_LENGTH = 32;

    /** Clamping per RFC 7748 section 5 ("decodeScalar25519"), as {@code wg genkey} applies it. */
    private static final int CLAMP_LOW_BYTE_MASK = 0xF8;
    private static final int CLAMP_HIGH_BYTE_MASK = 0x7F;
    private static final int CLAMP_HIGH_BYTE_SET = 0x40;

    private X25519() {
    }

    /** Returns 32 random bytes, clamped as {@code wg genkey} does (low 3 bits cleared, bit 255 cleared, bit 254 set). */
    public static byte[] generatePrivateKey(SecureRandom rnd) {
        byte[] key = new byte[KEY_LENGTH];
        rnd.nextBytes(key);
        clamp(key);
        return key;
    }

    /** Clamps a private key in place (RFC 7748 section 5). Scalar multiplication clamps anyway; this is for storage. */
    static void clamp(byte[] key) {
        key[0] &= (byte) CLAMP_LOW_BYTE_MASK;
        key[KEY_LENGTH - 1] &= (byte) CLAMP_HIGH_BYTE_MASK;
        key[KEY_LENGTH - 1] |= (byte) CLAMP_HIGH_BYTE_SET;
    }

    /** Returns {@code X25519(privateKey, 9)}, the public key. */
    public static byte[] publicKey(byte[] privateKey) {
        checkLength("private key", privateKey);
        byte[] pub = new byte[KEY_LENGTH];
        org.bouncycastle.math.ec.rfc7748.X25519.scalarMultBase(privateKey, 0, pub, 0);
        return pub;
    }

    /**
     * Returns {@code X25519(privateKey, publicKey)}.
     *
     * @throws InvalidKeyException if the result is all zeros, i.e. the public key is a low-order point;
     *                             WireGuard refuses such handshakes
     */
    public static byte[] sharedSecret(byte[] privateKey, byte[] publicKey) throws InvalidKeyException {
        checkLength("private key", privateKey);
        checkLength("public key", publicKey);
        byte[] shared = new byte[KEY_LENGTH];
        boolean nonZero = org.bouncycastle.math.ec.rfc7748.X25519.calculateAgreement(
                privateKey, 0, publicKey, 0, shared, 0);
        if (!nonZero) {
            throw new InvalidKeyException("X25519 shared secret is all zeros: the peer's public key is a low-order point");
        }
        return shared;
    }

    private static void checkLength(String what, byte[] key) {
        if (key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("X25519 " + what + " must be " + KEY_LENGTH + " bytes, got " + key.length);
        }
    }
}
