package dev.culvert.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A process left running in the background (a daemon, a capture, a server), with its
 * standard output and error going to files that {@link FailureLogs} prints if the test fails.
 * Closing it ends it: SIGTERM, then SIGKILL if it lingers.
 */
public final class BackgroundProcess implements AutoCloseable {

    /** How long a process gets to exit after SIGTERM before it is killed. */
    public static final Duration GRACE = Duration.ofSeconds(10);

    private final String label;
    private final List<String> command;
    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private BackgroundProcess(String label, List<String> command, Process process, Path stdout, Path stderr) {
        this.label = label;
        this.command = List.copyOf(command);
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /**
     * Starts {@code command} with its output in {@code logDir/label.out} and {@code logDir/label.err}.
     *
     * @param label  a short name, used for the log files and in messages
     * @param env    extra environment variables
     * @param logDir where the log files go
     */
    public static BackgroundProcess start(String label, List<String> command, Map<String, String> env, Path logDir) {
        Path out = logDir.resolve(label + ".out");
        Path err = logDir.resolve(label + ".err");
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().putAll(env);
        try {
            Process process = builder.start();
            FailureLogs.register(label + " stderr", err);
            FailureLogs.register(label + " stdout", out);
            return new BackgroundProcess(label, command, process, out, err);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + label + ": " + String.join(" ", command), e);
        }
    }

    /** The short name given at start. */
    public String label() {
        return label;
    }

    /** The operating system's process id. */
    public long pid() {
        return process.pid();
    }

    /** Whether the process is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** Sends a signal by name ({@code TERM}, {@code INT}, {@code HUP}, ...). */
    public void signal(String name) {
        if (process.isAlive()) {
            Exec.run("kill", "-" + name, Long.toString(process.pid()));
        }
    }

    /**
     * Waits for the process to exit on its own.
     *
     * @return its exit code
     * @throws AssertionError if it is still running after {@code within}
     */
    public int awaitExit(Duration within) {
        try {
            if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(label + " did not exit within " + within + "; stderr:\n" + stderr());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + label, e);
        }
    }

    /** Sends SIGTERM and waits for the exit, returning the exit code. */
    public int terminate(Duration within) {
        signal("TERM");
        return awaitExit(within);
    }

    /** Everything the process wrote to standard output so far. */
    public String stdout() {
        return read(stdout);
    }

    /** Everything the process wrote to standard error so far. */
    public String stderr() {
        return read(stderr);
    }

    /** How many times {@code what} occurs in what the process wrote to standard error so far. */
    public int stderrCount(String what) {
        String text = stderr();
        int n = 0;
        for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1)) {
            n++;
        }
        return n;
    }

    /** The file standard error goes to. */
    public Path stderrFile() {
        return stderr;
    }

    /** Ends the process if it is still running: SIGTERM, then SIGKILL after {@link #GRACE}. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return label + " (pid " + process.pid() + "): " + String.join(" ", command);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }
}
