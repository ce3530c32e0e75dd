package dev.culvert.it.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Prints the logs of the processes a test started (daemons, wireguard-go, tcpdump) when,
 * and only when, that test fails.
 *
 * <p>Processes register their log files with {@link #register}; each test gets a fresh registry
 * before it runs. A test's registry belongs to the thread that runs it and the threads that thread
 * starts (awaitility's), so tests run side by side would keep their own.
 */
public final class FailureLogs implements BeforeEachCallback, AfterTestExecutionCallback {

    /** Only the end of a long log is printed. */
    static final int MAX_LINES = 200;

    private static final InheritableThreadLocal<Map<String, Path>> LOGS = new InheritableThreadLocal<>() {
        @Override
        protected Map<String, Path> initialValue() {
            return Collections.synchronizedMap(new LinkedHashMap<>());
        }
    };

    /** Remembers a log to print if the current test fails. */
    public static void register(String label, Path file) {
        LOGS.get().put(label, file);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        clear();
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        if (context.getExecutionException().isPresent()) {
            System.err.println(render(context.getDisplayName()));
        }
        clear();
    }

    private static void clear() {
        LOGS.set(Collections.synchronizedMap(new LinkedHashMap<>()));
    }

    private static String render(String testName) {
        StringBuilder out = new StringBuilder("\n===== logs of the processes of failed test " + testName + " =====\n");
        Map<String, Path> logs;
        synchronized (LOGS.get()) {
            logs = new LinkedHashMap<>(LOGS.get());
        }
        for (Map.Entry<String, Path> log : logs.entrySet()) {
            out.append("----- ").append(log.getKey()).append(" (").append(log.getValue()).append(") -----\n");
            for (String line : tail(log.getValue())) {
                out.append(line).append('\n');
            }
        }
        return out.append("===== end of logs =====").toString();
    }

    private static List<String> tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            List<String> tail = new ArrayList<>();
            if (lines.size() > MAX_LINES) {
                tail.add("... " + (lines.size() - MAX_LINES) + " earlier lines left out ...");
            }
            tail.addAll(lines.subList(Math.max(0, lines.size() - MAX_LINES), lines.size()));
            return tail;
        } catch (IOException e) {
            return List.of("(cannot read: " + e + ")");
        }
    }
}
