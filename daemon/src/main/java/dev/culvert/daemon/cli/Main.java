package dev.culvert.daemon.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code culvert} command: the daemon and its tools. */
@Command(name = "culvert", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "User-space VPN daemon: VTUN's operating model, WireGuard's cryptography.",
        subcommands = {RunCommand.class, ShowCommand.class, CheckConfigCommand.class, GenkeyCommand.class, PubkeyCommand.class,
                GenpskCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code (0 ok, 1 failure, 2 usage). */
    public static int execute(String... args) {
        return new CommandLine(new Main())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .execute(args);
    }
}
