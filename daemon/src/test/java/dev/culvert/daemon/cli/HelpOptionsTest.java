package dev.culvert.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Issue 11 item 6: {@code -h} and {@code --help} on every subcommand print its usage on stdout and exit 0, before
 * any required option is asked for ({@code run --help} used to say "Missing required option '--config'"); and
 * {@code -V}/{@code --version} is accepted everywhere. The subcommands are read from the command line itself, so
 * one added later is covered without touching this test.
 */
class HelpOptionsTest {
    /** Output of one run of the command line. */
    record Outcome(int exit, String out, String err) { }

    static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine line = Main.commandLine();
        line.setOut(new PrintWriter(out, true));
        line.setErr(new PrintWriter(err, true));
        int exit = line.execute(args);
        return new Outcome(exit, out.toString(), err.toString());
    }

    /** Every subcommand's name, at any depth, as the path of names a user types. */
    static Stream<List<String>> subcommands() {
        List<List<String>> paths = new ArrayList<>();
        collect(Main.commandLine(), new ArrayList<>(), paths);
        return paths.stream();
    }

    private static void collect(CommandLine line, List<String> prefix, List<List<String>> into) {
        line.getSubcommands().forEach((name, sub) -> {
            if (!name.equals(sub.getCommandName())) {
                return; // an alias
            }
            List<String> path = new ArrayList<>(prefix);
            path.add(name);
            into.add(path);
            collect(sub, path, into);
        });
    }

    @Test
    void theCommandLineHasTheSubcommandsThisTestExpectsAtLeast() {
        assertThat(subcommands().map(p -> String.join(" ", p)))
                .contains("run", "show", "check-config", "genkey", "pubkey", "genpsk", "help");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("helpCases")
    void helpPrintsUsageOnStdoutAndExitsZero(List<String> path, String option) {
        List<String> args = new ArrayList<>(path);
        args.add(option);
        Outcome o = run(args.toArray(String[]::new));
        assertThat(o.exit()).as("exit of %s; stderr: %s", args, o.err()).isZero();
        // picocli's own help command puts its description before its usage line
        assertThat(o.out()).contains("Usage: culvert " + String.join(" ", path) + " [");
        assertThat(o.err()).isEmpty();
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> helpCases() {
        return subcommands().flatMap(p -> Stream.of("-h", "--help")
                .map(o -> org.junit.jupiter.params.provider.Arguments.of(p, o)));
    }

    /** Every subcommand but {@code help}, whose {@code help --version} is read as "help on the main command". */
    static Stream<List<String>> versionedSubcommands() {
        return subcommands().filter(p -> !p.equals(List.of("help")));
    }

    @ParameterizedTest(name = "{0} --version")
    @MethodSource("versionedSubcommands")
    void versionIsAcceptedOnEverySubcommand(List<String> path) {
        List<String> args = new ArrayList<>(path);
        args.add("--version");
        Outcome o = run(args.toArray(String[]::new));
        assertThat(o.exit()).as("exit of %s; stderr: %s", args, o.err()).isZero();
        assertThat(o.out()).startsWith("culvert ");
    }

    @Test
    void runHelpDoesNotAskForTheConfig() {
        Outcome o = run("run", "--help");
        assertThat(o.exit()).isZero();
        assertThat(o.out()).contains("--config").doesNotContain("Missing required option");
    }

    @Test
    void theTopLevelStillHasHelpAndVersion() {
        assertThat(run("--help").out()).startsWith("Usage: culvert");
        assertThat(run("-V").out()).startsWith("culvert ");
    }

    @Test
    void anUnknownOptionIsStillAUsageError() {
        Outcome o = run("genkey", "--no-such-option");
        assertThat(o.exit()).isEqualTo(2);
        assertThat(o.err()).contains("--no-such-option");
    }

    /** A new-user test found {@code culvert bogus -h} exiting 0: an unknown word is a usage error, help or not. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"bogus -h", "bogus --help", "-h bogus", "show a b --help",
            "genkey extra -V"})
    void anUnknownSubcommandOrExtraWordIsAUsageErrorEvenWithHelp(String line) {
        Outcome o = run(line.split(" "));
        assertThat(o.exit()).as("exit of %s; stdout: %s", line, o.out()).isEqualTo(2);
        assertThat(o.err()).contains("Usage: culvert");
        assertThat(o.out()).isEmpty();
    }
}
