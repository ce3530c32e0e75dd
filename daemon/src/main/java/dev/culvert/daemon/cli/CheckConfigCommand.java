package dev.culvert.daemon.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code culvert check-config FILE}: everything {@code run} validates ({@link ConfigCheck}, the same path), without
 * touching the network.
 */
@Command(name = "check-config", description = "Validate a config file (schema, addresses, key files, keys) "
        + "without starting anything, exactly as run does before it touches the network. Exit 0 if valid; "
        + "otherwise print every problem as file:line: key: message.")
final class CheckConfigCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "the HOCON config file")
    Path file;

    @Override
    public Integer call() {
        ConfigCheck.Result result = ConfigCheck.check(file);
        if (!result.valid()) {
            result.problems().forEach(System.err::println);
            return 1;
        }
        int tunnels = result.config().tunnels().size();
        System.out.println(file + ": OK, " + tunnels + " tunnel" + (tunnels == 1 ? "" : "s") + " ("
                + String.join(", ", result.config().tunnels().keySet()) + ")");
        return 0;
    }
}
