package dev.culvert.daemon.cli;

import dev.culvert.config.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code culvert check-config FILE}: everything {@code run} validates ({@link ConfigCheck}, the same path), without
 * touching the network.
 */
@Command(name = "check-config", description = "Validate a config file (schema, addresses, key files, keys) "
        + "without starting anything, exactly as run does before it touches the network. Exit 0 if valid; "
        + "otherwise print every problem as file:line: key: message and exit 78 (EX_CONFIG). A second block of "
        + "one tunnel, or a tunnel setting given twice, in one file is a problem; a later (included) file may extend or override a tunnel, and a note "
        + "says so.")
final class CheckConfigCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "the HOCON config file")
    Path file;

    @Option(names = {"-u", "--user"}, paramLabel = "USER", description = "also check that USER (the daemon's user, "
            + "culvert for the packaged unit) can read every file the config names: the file and its includes, "
            + "key files, hook programs; each problem names the chown/chmod that fixes it")
    String user;

    private final FileAccess.Accounts accounts;

    CheckConfigCommand() {
        this(FileAccess.SYSTEM);
    }

    CheckConfigCommand(FileAccess.Accounts accounts) {
        this.accounts = accounts;
    }

    @Override
    public Integer call() {
        ConfigCheck.Result result;
        if (user == null) {
            result = ConfigCheck.check(file);
        } else {
            Optional<FileAccess.Account> account;
            try {
                account = accounts.lookup(user);
            } catch (IOException e) {
                System.err.println("culvert check-config: cannot look up user " + user + ": " + e.getMessage());
                return ExitStatus.FAILURE;
            }
            if (account.isEmpty()) {
                System.err.println("culvert check-config: no user " + user + " on this host (the package creates "
                        + "culvert; is it installed?)");
                return ExitStatus.CONFIG;
            }
            result = ConfigCheck.check(file, account.get());
        }
        if (!result.valid()) {
            result.problems().forEach(System.err::println);
            return ExitStatus.CONFIG;
        }
        int tunnels = result.config().tunnels().size();
        System.out.println(file + ": OK, " + tunnels + " tunnel" + (tunnels == 1 ? "" : "s") + " ("
                + String.join(", ", result.config().tunnels().keySet()) + ")"
                + (user == null ? "" : "; user " + user + " can read every file it names"));
        // What HOCON merged across files (an include extending or overriding a tunnel): allowed, and said.
        ConfigLoader.overrides(file).forEach(note -> System.out.println("note: " + note));
        result.config().tunnels().forEach((name, tunnel) -> tunnel.legacy().ifPresent(legacy -> {
            System.out.println("note: tunnel '" + name + "' uses transport vtun-legacy, which is INSECURE (no MAC, no "
                    + "replay protection, a static key from the password): for migrating from vtund only");
            String cipher = legacy.encrypt().configName();
            boolean chained = cipher.endsWith("cbc") || cipher.endsWith("cfb") || cipher.endsWith("ofb");
            if (tunnel.peer().endpoint().isEmpty() && legacy.proto() == dev.culvert.config.LegacyConfig.Proto.UDP
                    && chained) {
                System.out.println("note: tunnel '" + name + "': legacy.encrypt = " + cipher + " over udp: one lost "
                        + "datagram makes the frames after it undecryptable until a resync; prefer an ECB mode or "
                        + "proto tcp (README, Legacy VTUN tunnels)");
            }
        }));
        return ExitStatus.OK;
    }
}
