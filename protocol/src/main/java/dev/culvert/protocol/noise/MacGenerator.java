package dev.culvert.protocol.noise;

import dev.culvert.crypto.Blake2s;
import dev.culvert.crypto.XAead;
import dev.culvert.protocol.Spec;
import dev.culvert.protocol.wire.CookieReplyMessage;

import javax.crypto.AEADBadTagException;
import java.util.Arrays;

/**
 * Sender side of whitepaper §5.4.4: writes mac1 (keyed by the peer's public key) into each handshake
 * message we send to one peer, and mac2 when the peer has given us a fresh cookie. Decrypts the
 * peer's cookie replies. One per peer; not thread-safe.
 */
public final class MacGenerator {
    private final RemoteStatic remote;
    private byte[] lastMac1;
    private byte[] cookie;
    private long cookieSetNanos;

    public MacGenerator(RemoteStatic remote) {
        this.remote = remote;
    }

    /**
     * Fills mac1 at {@code mac1Offset} and mac2 right after it.
     *
     * @param nowNanos monotonic time, to age the cookie
     */
    public void addMacs(byte[] msg, int mac1Offset, long nowNanos) {
        byte[] mac1 = Blake2s.mac(remote.mac1Key(), Arrays.copyOf(msg, mac1Offset));
        System.arraycopy(mac1, 0, msg, mac1Offset, Spec.MAC_LENGTH);
        lastMac1 = mac1;
        int mac2Offset = mac1Offset + Spec.MAC_LENGTH;
        if (cookie != null && nowNanos - cookieSetNanos < Spec.COOKIE_REFRESH_TIME_NANOS) {
            byte[] mac2 = Blake2s.mac(cookie, Arrays.copyOf(msg, mac2Offset));
            System.arraycopy(mac2, 0, msg, mac2Offset, Spec.MAC_LENGTH);
        } else {
            Arrays.fill(msg, mac2Offset, mac2Offset + Spec.MAC_LENGTH, (byte) 0);
        }
    }

    /**
     * Takes the cookie from a reply to the last message we sent this peer.
     *
     * @return false if it does not decrypt (forged, or not a reply to our last message)
     */
    public boolean consumeCookieReply(byte[] msg, long nowNanos) {
        if (lastMac1 == null || msg.length != CookieReplyMessage.LENGTH) {
            return false;
        }
        byte[] nonce = Arrays.copyOfRange(msg, CookieReplyMessage.NONCE, CookieReplyMessage.COOKIE);
        byte[] sealed = Arrays.copyOfRange(msg, CookieReplyMessage.COOKIE, CookieReplyMessage.LENGTH);
        try {
            cookie = XAead.open(remote.cookieKey(), nonce, sealed, lastMac1);
            cookieSetNanos = nowNanos;
            return true;
        } catch (AEADBadTagException e) {
            return false;
        }
    }

    /** True while a cookie from the peer is fresh enough to be sent as mac2. */
    public boolean hasCookie(long nowNanos) {
        return cookie != null && nowNanos - cookieSetNanos < Spec.COOKIE_REFRESH_TIME_NANOS;
    }
}
