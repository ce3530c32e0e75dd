package dev.culvert.it.containers;

import dev.culvert.crypto.Keys;
import dev.culvert.crypto.X25519;
import java.security.SecureRandom;

/**
 * A site's WireGuard key pair in base64, made in the test JVM with Culvert's own crypto module (what
 * {@code culvert genkey | culvert pubkey} prints). {@link #toString()} never shows the private key.
 */
record SiteKey(String privateKey, String publicKey) {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** A fresh key pair. */
    static SiteKey generate() {
        byte[] secret = X25519.generatePrivateKey(RANDOM);
        return new SiteKey(Keys.encode(secret), Keys.encode(X25519.publicKey(secret)));
    }

    @Override
    public String toString() {
        return "SiteKey[public " + publicKey + "]";
    }
}
