package dev.culvert.daemon;

import dev.culvert.config.HookCommand;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * VTUN-style {@code up} and {@code down} commands. Each command string is split into words first
 * ({@link HookCommand#split}: '…', "…", backslash) and only then are %dev% %name% %peer% %local% replaced
 * inside the words, and the command runs without a shell: a substituted value can never become
 * extra arguments or shell syntax. The same values are in CULVERT_DEV, CULVERT_NAME, CULVERT_PEER,
 * CULVERT_LOCAL (use those inside an explicit {@code sh -c '…'}). Output is logged line by line;
 * a command that fails or outlives its timeout is reported with its exit code.
 */
final class Hooks {
    private static final System.Logger LOG = System.getLogger("culvert.hooks");

    private Hooks() {}

    /** The values hooks see. */
    record Values(String dev, String name, String peer, String local) {
        Map<String, String> env() {
            return Map.of("CULVERT_DEV", dev, "CULVERT_NAME", name, "CULVERT_PEER", peer, "CULVERT_LOCAL", local);
        }

        /**
         * The word with each placeholder in it replaced by its value, in one pass from left to right: text that came
         * from a value is never read as a placeholder (a value "%name%" stays as it is, and a value ending in '%'
         * cannot complete a placeholder with the word's next letters). Found by HooksFuzzTest.
         */
        String substitute(String word) {
            StringBuilder out = new StringBuilder(word.length());
            int i = 0;
            while (i < word.length()) {
                String value = word.charAt(i) == '%' ? valueAt(word, i) : null;
                if (value == null) {
                    out.append(word.charAt(i++));
                } else {
                    out.append(value);
                    i = word.indexOf('%', i + 1) + 1;
                }
            }
            return out.toString();
        }

        /** The value of the placeholder that starts at {@code at} (a '%'), or null if none does. */
        private String valueAt(String word, int at) {
            if (word.startsWith("%dev%", at)) {
                return dev;
            } else if (word.startsWith("%name%", at)) {
                return name;
            } else if (word.startsWith("%peer%", at)) {
                return peer;
            } else if (word.startsWith("%local%", at)) {
                return local;
            }
            return null;
        }
    }

    /**
     * Runs the commands in order.
     *
     * @param stopOnFailure true for up hooks: the first failure stops the rest and is thrown
     * @throws IOException describing the failed command (for up hooks)
     */
    static void run(String tunnel, String phase, List<String> commands, Values values, Duration timeout,
                    boolean stopOnFailure) throws IOException {
        for (String command : commands) {
            List<String> argv = new ArrayList<>();
            for (String word : HookCommand.split(command)) {
                argv.add(values.substitute(word));
            }
            if (argv.isEmpty()) {
                continue;
            }
            String failure = runOne(tunnel, phase, argv, values, timeout);
            if (failure != null) {
                String msg = "tunnel " + tunnel + ": " + phase + " hook `" + command + "` " + failure;
                if (stopOnFailure) {
                    throw new IOException(msg);
                }
                LOG.log(System.Logger.Level.WARNING, msg);
            }
        }
    }

    /** Returns null on success, else what went wrong. */
    private static String runOne(String tunnel, String phase, List<String> argv, Values values, Duration timeout) {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().putAll(values.env());
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            return "could not start: " + e.getMessage();
        }
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    LOG.log(System.Logger.Level.INFO, "tunnel {0} {1} hook: {2}", tunnel, phase, line);
                }
            } catch (IOException ignored) {
                // the process went away; nothing more to log
            }
        }, "culvert-hook-output");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                return "timed out after " + timeout.toSeconds() + " s and was killed";
            }
            reader.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return "interrupted";
        }
        int code = process.exitValue();
        return code == 0 ? null : "failed with exit code " + code;
    }
}
