package dev.culvert.daemon.tun;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;

/** A child process whose merged stdout/stderr is collected line by line, for awaiting markers. */
public final class ChildJvm implements AutoCloseable {

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Writer stdin;
    private final CountDownLatch outputClosed = new CountDownLatch(1);

    private ChildJvm(Process process) {
        this.process = process;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(this::collect, "child-output-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    static ChildJvm start(List<String> argv) throws IOException {
        return new ChildJvm(new ProcessBuilder(argv).redirectErrorStream(true).start());
    }

    private void collect() {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                lines.add(line);
            }
        } catch (IOException ignored) {
            // the process is gone
        } finally {
            outputClosed.countDown();
        }
    }

    /** Waits for a line starting with {@code prefix}; fails early, with the output, if the process exits. */
    public String awaitLine(String prefix, Duration timeout) {
        try {
            await().atMost(timeout)
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> hasLine(prefix) || outputClosed.getCount() == 0);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("no line '" + prefix + "' from child within " + timeout + "; output:\n"
                    + output(), e);
        }
        return lines.stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(
                () -> new AssertionError("child closed its output without printing '" + prefix + "'; output:\n"
                        + output()));
    }

    boolean hasLine(String prefix) {
        return lines.stream().anyMatch(l -> l.startsWith(prefix));
    }

    public void send(String command) throws IOException {
        stdin.write(command + "\n");
        stdin.flush();
    }

    /** Sends SIGTERM. */
    void terminate() {
        process.destroy();
    }

    /** Waits for the exit and returns its status. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("child did not exit within " + timeout + "; output:\n" + output());
        }
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    public String output() {
        return String.join("\n", lines);
    }

    /** SIGTERM, then SIGKILL if it does not exit within the stop timeout. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
