package dev.culvert.protocol.noise;

import dev.culvert.crypto.Blake2s;
import dev.culvert.crypto.Secrets;
import dev.culvert.crypto.X25519;

import java.nio.charset.StandardCharsets;

/**
 * This interface's static key pair and the keys derived from its public half that peers use to
 * reach it: the mac1 key and the cookie-encryption key (whitepaper §5.4.4, §5.4.7).
 */
public final class LocalStatic {
    static final byte[] LABEL_MAC1 = "mac1----".getBytes(StandardCharsets.US_ASCII);
    static final byte[] LABEL_COOKIE = "cookie--".getBytes(StandardCharsets.US_ASCII);

    private final byte[] privateKey;
    private final byte[] publicKey;
    private final byte[] mac1Key;
    private final byte[] cookieKey;
    private volatile boolean destroyed;

    public LocalStatic(byte[] privateKey) {
        this.privateKey = privateKey.clone();
        this.publicKey = X25519.publicKey(this.privateKey);
        this.mac1Key = Blake2s.hash(LABEL_MAC1, publicKey);
        this.cookieKey = Blake2s.hash(LABEL_COOKIE, publicKey);
    }

    byte[] privateKey() {
        return privateKey;
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    byte[] publicKeyRef() {
        return publicKey;
    }

    /** Key for verifying mac1 on messages addressed to us. */
    byte[] mac1Key() {
        return mac1Key;
    }

    /** Key for encrypting the cookie in our cookie replies. */
    byte[] cookieKey() {
        return cookieKey;
    }

    /**
     * Wipes the private key; the public key and its derived mac1/cookie keys stay (for {@code show}). Only once
     * nothing handshakes with it any more (the daemon's transports are closed, or it was a throw-away probe);
     * idempotent.
     */
    public void destroy() {
        Secrets.wipe(privateKey);
        destroyed = true;
    }

    /** True once {@link #destroy()} ran. */
    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public String toString() {
        return "LocalStatic[public=" + dev.culvert.crypto.Keys.encode(publicKey) + "]";
    }
}
