package dev.culvert.daemon.cli;

import dev.culvert.crypto.Keys;
import dev.culvert.crypto.Secrets;
import dev.culvert.crypto.X25519;
import picocli.CommandLine.Command;

import java.security.SecureRandom;
import java.util.concurrent.Callable;

/** {@code culvert genkey}: a new private key on stdout, as {@code wg genkey}. */
@Command(name = "genkey", description = "Print a new private key (base64, as wg genkey). "
        + "Save it with umask 077: (umask 077; culvert genkey > site.key)")
final class GenkeyCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        byte[] key = X25519.generatePrivateKey(new SecureRandom());
        System.out.println(Keys.encode(key));
        Secrets.wipe(key);
        return 0;
    }
}
