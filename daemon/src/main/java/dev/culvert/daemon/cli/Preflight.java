package dev.culvert.daemon.cli;

import dev.culvert.config.CulvertConfig;
import dev.culvert.config.KeyFileException;
import dev.culvert.config.KeyFiles;
import dev.culvert.config.TunnelConfig;
import dev.culvert.crypto.Keys;
import dev.culvert.crypto.Secrets;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.noise.RemoteStatic;

import java.security.InvalidKeyException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The checks beyond the config schema that need the keys themselves: a peer key that is our own,
 * a peer key that is no usable curve point. One step of {@link ConfigCheck}, the validation path
 * {@code run} and {@code check-config} share.
 */
final class Preflight {
    private Preflight() {}

    static List<String> check(CulvertConfig config) {
        List<String> problems = new ArrayList<>();
        byte[] privateKey;
        try {
            privateKey = KeyFiles.readKey(config.privateKeyFile());
        } catch (KeyFileException e) {
            problems.add(config.source() + ": culvert.private-key-file: " + e.getMessage());
            return problems;
        }
        LocalStatic local = new LocalStatic(privateKey);
        Secrets.wipe(privateKey);
        for (TunnelConfig tunnel : config.tunnels().values()) {
            if (tunnel.isLegacy()) {
                continue; // vtund has no keys: the password file was checked with the config
            }
            byte[] peerKey = Keys.parse(tunnel.peer().publicKey());
            String where = config.source() + ": culvert.tunnels." + tunnel.name() + ".peer.public-key: ";
            if (Arrays.equals(peerKey, local.publicKey())) {
                problems.add(where + "is this host's own public key (the peer's key belongs here)");
                continue;
            }
            try {
                new RemoteStatic(local, peerKey, null);
            } catch (InvalidKeyException e) {
                problems.add(where + "is not a usable X25519 public key (low-order point)");
            }
        }
        return problems;
    }
}
