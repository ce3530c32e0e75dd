package dev.culvert.daemon.cli;

import dev.culvert.config.ConfigException;
import dev.culvert.config.ConfigLoader;
import dev.culvert.config.ConfigProblem;
import dev.culvert.config.CulvertConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code culvert check-config FILE}: everything {@code run} validates, without touching the network. */
@Command(name = "check-config", description = "Validate a config file (schema, addresses, key files) "
        + "without starting anything. Exit 0 if valid; otherwise print every problem as file:line: key: message.")
final class CheckConfigCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "the HOCON config file")
    Path file;

    @Override
    public Integer call() {
        CulvertConfig config;
        try {
            config = ConfigLoader.load(file);
        } catch (ConfigException e) {
            for (ConfigProblem p : e.problems()) {
                System.err.println(p);
            }
            return 1;
        }
        List<String> problems = Preflight.check(config);
        if (!problems.isEmpty()) {
            problems.forEach(System.err::println);
            return 1;
        }
        System.out.println(file + ": OK, " + config.tunnels().size() + " tunnel"
                + (config.tunnels().size() == 1 ? "" : "s") + " (" + String.join(", ", config.tunnels().keySet()) + ")");
        return 0;
    }
}
