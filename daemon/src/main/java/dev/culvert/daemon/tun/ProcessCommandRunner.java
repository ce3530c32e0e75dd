package dev.culvert.daemon.tun;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs commands with {@link ProcessBuilder}: no shell, stdin from {@code /dev/null}, stdout and
 * stderr captured (each up to {@value #MAX_CAPTURE_BYTES} bytes), killed when the timeout passes.
 */
public final class ProcessCommandRunner implements CommandRunner {

    /** Output kept per stream; more is read and discarded so the child never blocks on a full pipe. */
    static final int MAX_CAPTURE_BYTES = 64 * 1024;
    private static final long DRAIN_JOIN_MILLIS = 1000;

    @Override
    public CommandResult run(List<String> argv, Duration timeout) throws IOException, InterruptedException {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        Process process;
        try {
            process = new ProcessBuilder(argv)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new IOException("cannot run '" + argv.get(0) + "': " + e.getMessage(), e);
        }
        Drain stdout = Drain.start(process.getInputStream(), argv.get(0) + "-stdout");
        Drain stderr = Drain.start(process.getErrorStream(), argv.get(0) + "-stderr");
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IOException("'" + String.join(" ", argv) + "' did not finish within "
                        + timeout.toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            throw e;
        }
        return new CommandResult(process.exitValue(), stdout.text(), stderr.text());
    }

    /** Reads one stream to its end on its own thread, keeping the first MAX_CAPTURE_BYTES. */
    private static final class Drain implements Runnable {
        private final InputStream in;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final Thread thread;

        private Drain(InputStream in, String name) {
            this.in = in;
            this.thread = new Thread(this, "culvert-cmd-" + name);
            this.thread.setDaemon(true);
        }

        static Drain start(InputStream in, String name) {
            Drain drain = new Drain(in, name);
            drain.thread.start();
            return drain;
        }

        @Override
        public void run() {
            byte[] chunk = new byte[4096];
            try (in) {
                int n;
                while ((n = in.read(chunk)) >= 0) {
                    synchronized (kept) {
                        int room = MAX_CAPTURE_BYTES - kept.size();
                        kept.write(chunk, 0, Math.min(n, Math.max(room, 0)));
                    }
                }
            } catch (IOException ignored) {
                // the process went away; keep what was read
            }
        }

        String text() throws InterruptedException {
            thread.join(DRAIN_JOIN_MILLIS);
            synchronized (kept) {
                return kept.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
