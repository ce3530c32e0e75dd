package dev.culvert.it.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion with a time limit and captures its output. */
public final class Exec {

    /** How long a plain command may take unless the caller says otherwise. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    /** Output readers block, so they get threads of their own, never the common pool (1 thread on 2 cores). */
    private static final ExecutorService READERS = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "exec-output-reader");
        thread.setDaemon(true);
        return thread;
    });

    private Exec() {
    }

    /** Runs {@code command} on the host with the default time limit and no input. */
    public static ExecResult run(String... command) {
        return run(List.of(command), null, Map.of(), DEFAULT_TIMEOUT);
    }

    /**
     * Runs a command to completion.
     *
     * @param command the program and its arguments
     * @param stdin   text written to its standard input, or {@code null} for none
     * @param env     extra environment variables
     * @param timeout how long it may run; past that it is killed and an {@link AssertionError} thrown
     */
    public static ExecResult run(List<String> command, String stdin, Map<String, String> env, Duration timeout) {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
        }
        CompletableFuture<String> out = drain(process.getInputStream());
        CompletableFuture<String> err = drain(process.getErrorStream());
        try (OutputStream in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // The process may exit without reading its input; its exit code tells the story.
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                throw new AssertionError("command did not finish within " + timeout + ": "
                        + String.join(" ", command) + "\n  stdout so far: " + out.getNow("").strip()
                        + "\n  stderr so far: " + err.getNow("").strip());
            }
            return new ExecResult(command, process.exitValue(), out.get(), err.get());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot read the output of " + String.join(" ", command), e);
        }
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, READERS);
    }
}
