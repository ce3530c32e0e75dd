package dev.culvert.protocol.noise;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.crypto.X25519;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

/** destroy() zeroes the static secrets and keeps the public halves (SECURITY.md, "Key material"). */
class StaticKeysDestroyTest {
    private static final byte[] ZERO = new byte[32];
    private final SecureRandom random = new SecureRandom();

    @Test
    void remoteStaticDestroyWipesTheStaticStaticResultAndThePresharedKey() throws Exception {
        LocalStatic local = new LocalStatic(X25519.generatePrivateKey(random));
        byte[] peerPublic = X25519.publicKey(X25519.generatePrivateKey(random));
        byte[] psk = new byte[32];
        random.nextBytes(psk);
        RemoteStatic remote = new RemoteStatic(local, peerPublic, psk);
        assertThat(remote.staticStatic()).isNotEqualTo(ZERO);
        assertThat(remote.presharedKey()).isEqualTo(psk);

        remote.destroy();

        assertThat(remote.isDestroyed()).isTrue();
        assertThat(remote.staticStatic()).isEqualTo(ZERO);
        assertThat(remote.presharedKey()).isEqualTo(ZERO);
        assertThat(remote.publicKey()).as("the public key stays for show").isEqualTo(peerPublic);
        assertThat(psk).as("the caller's array is the caller's").isNotEqualTo(ZERO);
    }

    @Test
    void localStaticDestroyWipesThePrivateKeyAndKeepsThePublicKey() {
        byte[] privateKey = X25519.generatePrivateKey(random);
        LocalStatic local = new LocalStatic(privateKey);
        byte[] publicKey = local.publicKey();

        local.destroy();

        assertThat(local.isDestroyed()).isTrue();
        assertThat(local.privateKey()).isEqualTo(ZERO);
        assertThat(local.publicKey()).isEqualTo(publicKey);
    }
}
