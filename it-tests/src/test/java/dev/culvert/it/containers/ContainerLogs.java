package dev.culvert.it.containers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Keeps the logs of the containers a test ran and prints them when, and only when, that test fails.
 *
 * <p>Containers are closed by try-with-resources before JUnit learns the outcome, so {@link SiteContainer#close}
 * hands its log over here first. Each log is also written to {@code it-work/containers/<test>/<name>.log}.
 * The suite runs one test at a time, so one process-wide registry is enough.
 */
public final class ContainerLogs implements BeforeEachCallback, AfterTestExecutionCallback {

    /** Only the end of a long log is printed. */
    static final int MAX_LINES = 200;

    private static final Map<String, String> LOGS = new LinkedHashMap<>();
    private static String currentTest = "unknown-test";

    /** Remembers the log of container {@code name}, replacing an earlier one of the same name. */
    static synchronized void record(String name, String log) {
        LOGS.put(name, log);
        Path file = workDir().resolve(currentTest).resolve(name + ".log");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the log of container " + name + " in " + file, e);
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        synchronized (ContainerLogs.class) {
            LOGS.clear();
            currentTest = context.getRequiredTestClass().getSimpleName() + "." + context.getRequiredTestMethod().getName();
        }
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        if (context.getExecutionException().isPresent()) {
            System.err.println(render(context.getDisplayName()));
        }
    }

    private static synchronized String render(String testName) {
        StringBuilder out = new StringBuilder("\n===== logs of the containers of failed test " + testName + " =====\n");
        if (LOGS.isEmpty()) {
            out.append("(no container was started)\n");
        }
        for (Map.Entry<String, String> log : LOGS.entrySet()) {
            out.append("----- container ").append(log.getKey()).append(" -----\n");
            String[] lines = log.getValue().split("\n", -1);
            int from = Math.max(0, lines.length - MAX_LINES);
            if (from > 0) {
                out.append("... ").append(from).append(" earlier lines left out ...\n");
            }
            for (int i = from; i < lines.length; i++) {
                out.append(lines[i]).append('\n');
            }
        }
        return out.append("===== end of container logs =====").toString();
    }

    private static Path workDir() {
        return Path.of(System.getProperty("culvert.it.work", "target/it-work"), "containers");
    }
}
