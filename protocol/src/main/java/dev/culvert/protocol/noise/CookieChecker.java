package dev.culvert.protocol.noise;

import dev.culvert.crypto.Blake2s;
import dev.culvert.crypto.Secrets;
import dev.culvert.crypto.XAead;
import dev.culvert.protocol.Limits;
import dev.culvert.protocol.Spec;
import dev.culvert.protocol.wire.CookieReplyMessage;
import dev.culvert.protocol.wire.MessageType;

import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Receiver side of whitepaper §5.4.4 and §5.4.7: verifies mac1 on every handshake message addressed
 * to us, and — under load — mac2, which proves the sender can receive at its source address. Builds
 * the cookie replies that hand out those cookies. The cookie secret rotates every two minutes.
 * One per interface. Thread-safe: the event loop checks macs while the handshake thread builds cookie
 * replies (the secret is an immutable snapshot behind a volatile reference, replaced under a lock).
 */
public final class CookieChecker {
    private final LocalStatic local;
    private final SecureRandom random;
    private final Object rotation = new Object();
    private volatile Secret secret;

    /** One cookie secret and when it was made (monotonic nanoseconds). */
    private record Secret(byte[] key, long setNanos) {}

    public CookieChecker(LocalStatic local, SecureRandom random) {
        this.local = local;
        this.random = random;
    }

    /** True if the 16 bytes at {@code mac1Offset} are MAC(HASH("mac1----" || our public key), msg before them). */
    public boolean checkMac1(byte[] msg, int mac1Offset) {
        byte[] expected = Blake2s.mac(local.mac1Key(), Arrays.copyOf(msg, mac1Offset));
        return Secrets.constantTimeEquals(expected,
                Arrays.copyOfRange(msg, mac1Offset, mac1Offset + Spec.MAC_LENGTH));
    }

    /**
     * True if mac2 (right after mac1) is valid for a cookie we would give {@code source}.
     *
     * @param source the sender's address bytes followed by its port, as {@link #sourceBytes} builds them
     */
    public boolean checkMac2(byte[] msg, int mac1Offset, byte[] source, long nowNanos) {
        int mac2Offset = mac1Offset + Spec.MAC_LENGTH;
        if (allZero(msg, mac2Offset, Spec.MAC_LENGTH)) {
            return false; // no cookie sent (a real mac2 is all zeros with probability 2^-128)
        }
        byte[] cookie = cookieFor(source, nowNanos);
        byte[] expected = Blake2s.mac(cookie, Arrays.copyOf(msg, mac2Offset));
        return Secrets.constantTimeEquals(expected,
                Arrays.copyOfRange(msg, mac2Offset, mac2Offset + Spec.MAC_LENGTH));
    }

    /** A 64-byte cookie reply to {@code msg} (whose mac1 is at {@code mac1Offset}) from {@code source}. */
    public byte[] createReply(byte[] msg, int mac1Offset, int receiverIndex, byte[] source, long nowNanos) {
        byte[] reply = new byte[CookieReplyMessage.LENGTH];
        reply[0] = MessageType.COOKIE_REPLY;
        Handshake.putIntLE(reply, CookieReplyMessage.RECEIVER, receiverIndex);
        byte[] nonce = new byte[Spec.COOKIE_NONCE_LENGTH];
        random.nextBytes(nonce);
        System.arraycopy(nonce, 0, reply, CookieReplyMessage.NONCE, nonce.length);
        byte[] mac1 = Arrays.copyOfRange(msg, mac1Offset, mac1Offset + Spec.MAC_LENGTH);
        byte[] sealed = XAead.seal(local.cookieKey(), nonce, cookieFor(source, nowNanos), mac1);
        System.arraycopy(sealed, 0, reply, CookieReplyMessage.COOKIE, CookieReplyMessage.COOKIE_LENGTH);
        return reply;
    }

    /** The bytes a cookie is bound to: the source address followed by its port, big-endian. */
    public static byte[] sourceBytes(java.net.InetSocketAddress source) {
        byte[] address = source.getAddress().getAddress();
        byte[] out = Arrays.copyOf(address, address.length + 2);
        out[address.length] = (byte) (source.getPort() >>> 8);
        out[address.length + 1] = (byte) source.getPort();
        return out;
    }

    private byte[] cookieFor(byte[] source, long nowNanos) {
        Secret s = secret;
        if (s == null || nowNanos - s.setNanos() >= Limits.COOKIE_SECRET_LIFETIME_NANOS) {
            synchronized (rotation) {
                s = secret;
                if (s == null || nowNanos - s.setNanos() >= Limits.COOKIE_SECRET_LIFETIME_NANOS) {
                    byte[] key = new byte[Spec.KEY_LENGTH];
                    random.nextBytes(key);
                    s = new Secret(key, nowNanos);
                    secret = s;
                }
            }
        }
        return Blake2s.mac(s.key(), source);
    }

    private static boolean allZero(byte[] b, int offset, int length) {
        int or = 0;
        for (int i = offset; i < offset + length; i++) {
            or |= b[i];
        }
        return or == 0;
    }
}
