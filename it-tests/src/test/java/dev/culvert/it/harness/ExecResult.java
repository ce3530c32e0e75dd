package dev.culvert.it.harness;

import java.util.List;

/**
 * The outcome of a finished command: its exit code and everything it printed.
 *
 * @param command  the command line as run (for error messages)
 * @param exitCode the process exit code
 * @param stdout   standard output, decoded as UTF-8
 * @param stderr   standard error, decoded as UTF-8
 */
public record ExecResult(List<String> command, int exitCode, String stdout, String stderr) {

    public ExecResult {
        command = List.copyOf(command);
    }

    /** Whether the command exited with status 0. */
    public boolean ok() {
        return exitCode == 0;
    }

    /**
     * Returns this result if the command succeeded.
     *
     * @throws AssertionError naming the command, its exit code and its output otherwise
     */
    public ExecResult requireSuccess() {
        if (!ok()) {
            throw new AssertionError("command failed: " + describe());
        }
        return this;
    }

    /** The command, exit code and output on a few lines, for failure messages. */
    public String describe() {
        return String.join(" ", command) + "\n  exit code: " + exitCode
                + "\n  stdout: " + stdout.strip()
                + "\n  stderr: " + stderr.strip();
    }
}
