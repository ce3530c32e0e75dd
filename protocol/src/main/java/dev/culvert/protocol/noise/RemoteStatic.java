package dev.culvert.protocol.noise;

import dev.culvert.crypto.Blake2s;
import dev.culvert.crypto.Keys;
import dev.culvert.crypto.Secrets;
import dev.culvert.crypto.X25519;

import java.security.InvalidKeyException;
import java.util.Arrays;

/**
 * What we know of one peer's identity: its static public key, the static-static DH precomputed with
 * our private key, the optional preshared key (all zeros when unset, as in the whitepaper), and the
 * mac1/cookie keys derived from its public key for messages we send to it.
 */
public final class RemoteStatic {
    private final byte[] publicKey;
    private final byte[] staticStatic;
    private final byte[] presharedKey;
    private final byte[] mac1Key;
    private final byte[] cookieKey;
    private volatile boolean destroyed;

    /**
     * @throws InvalidKeyException if the public key is a low-order point (DH result all zeros)
     */
    public RemoteStatic(LocalStatic local, byte[] publicKey, byte[] presharedKeyOrNull) throws InvalidKeyException {
        if (publicKey.length != Keys.KEY_LENGTH) {
            throw new InvalidKeyException("peer public key must be 32 bytes");
        }
        this.publicKey = publicKey.clone();
        this.staticStatic = X25519.sharedSecret(local.privateKey(), this.publicKey);
        this.presharedKey = presharedKeyOrNull == null ? new byte[Keys.KEY_LENGTH] : presharedKeyOrNull.clone();
        this.mac1Key = Blake2s.hash(LocalStatic.LABEL_MAC1, this.publicKey);
        this.cookieKey = Blake2s.hash(LocalStatic.LABEL_COOKIE, this.publicKey);
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    public boolean hasPublicKey(byte[] key) {
        return Arrays.equals(publicKey, key);
    }

    byte[] publicKeyRef() {
        return publicKey;
    }

    byte[] staticStatic() {
        return staticStatic;
    }

    byte[] presharedKey() {
        return presharedKey;
    }

    byte[] mac1Key() {
        return mac1Key;
    }

    byte[] cookieKey() {
        return cookieKey;
    }

    /**
     * Wipes the secrets this holds (the static-static DH result and the preshared key); the public key and
     * what is derived from it stay, so {@code show} can still name the peer. A handshake with it afterwards
     * fails. Called when its peer is removed ({@code Peer.close}); idempotent.
     */
    public void destroy() {
        Secrets.wipe(staticStatic, presharedKey);
        destroyed = true;
    }

    /** True once {@link #destroy()} ran. */
    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public String toString() {
        return "RemoteStatic[" + Keys.encode(publicKey) + "]";
    }
}
