package dev.culvert.daemon.tun;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * Runs an external command from an argument vector (never through a shell). Injectable so that
 * {@link LinkConfigurator} can be tested without root; {@link ProcessCommandRunner} is the real one.
 */
@FunctionalInterface
public interface CommandRunner {

    /**
     * Runs {@code argv} to completion.
     *
     * @throws IOException if the command cannot be started or does not finish within {@code timeout}
     *                     (the message says which, in one line)
     */
    CommandResult run(List<String> argv, Duration timeout) throws IOException, InterruptedException;

    /** What a finished command left behind. */
    record CommandResult(int exitCode, String stdout, String stderr) {

        /** Whether the command exited with status 0. */
        public boolean succeeded() {
            return exitCode == 0;
        }

        /** The first non-blank line of stderr, or a line naming the exit status when stderr is empty. */
        public String firstErrorLine() {
            for (String line : stderr.split("\n")) {
                if (!line.isBlank()) {
                    return line.strip();
                }
            }
            return "exited with status " + exitCode;
        }
    }
}
