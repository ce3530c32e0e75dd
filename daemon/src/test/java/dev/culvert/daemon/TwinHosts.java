package dev.culvert.daemon;

import dev.culvert.crypto.Keys;
import dev.culvert.crypto.X25519;
import dev.culvert.protocol.testing.MemoryNetwork;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

/**
 * {@link TwinPlatform}s for tests outside this package (the command line's): one site on its own memory network;
 * and the key file a twin site's config names.
 */
public final class TwinHosts {
    private TwinHosts() {}

    /** A fresh in-memory host at {@code underlay}: memory devices, recorded ip(8) commands, memory transports. */
    public static Platform at(InetSocketAddress underlay) {
        return new TwinPlatform(new MemoryNetwork(), underlay);
    }

    /** Writes a new private key to {@code file} (created 0600, as the daemon requires) and returns its public key. */
    public static String writeKey(Path file) throws IOException {
        byte[] key = X25519.generatePrivateKey(new SecureRandom());
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, Keys.encode(key) + "\n");
        return Keys.encode(X25519.publicKey(key));
    }
}
