package dev.culvert.daemon.cli;

import dev.culvert.crypto.Keys;
import dev.culvert.crypto.Secrets;
import dev.culvert.crypto.X25519;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/** {@code culvert pubkey}: private key on stdin, public key on stdout, as {@code wg pubkey}. */
@Command(name = "pubkey", description = "Read a private key on stdin, print its public key (as wg pubkey).")
final class PubkeyCommand implements Callable<Integer> {
    @Override
    public Integer call() throws IOException {
        byte[] input = System.in.readNBytes(1024);
        String text = new String(input, StandardCharsets.US_ASCII);
        Secrets.wipe(input);
        byte[] key;
        try {
            key = Keys.parse(text.trim());
        } catch (IllegalArgumentException e) {
            System.err.println("culvert pubkey: stdin does not hold a base64 32-byte private key");
            return 1;
        }
        System.out.println(Keys.encode(X25519.publicKey(key)));
        Secrets.wipe(key);
        return 0;
    }
}
