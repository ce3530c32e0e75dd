package dev.culvert.daemon.cli;

import dev.culvert.crypto.Keys;
import dev.culvert.crypto.Secrets;
import picocli.CommandLine.Command;

import java.security.SecureRandom;
import java.util.concurrent.Callable;

/** {@code culvert genpsk}: a new preshared key on stdout, as {@code wg genpsk}. */
@Command(name = "genpsk", description = "Print a new preshared key (base64, as wg genpsk).")
final class GenpskCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        byte[] key = Keys.generatePresharedKey(new SecureRandom());
        System.out.println(Keys.encode(key));
        Secrets.wipe(key);
        return 0;
    }
}
