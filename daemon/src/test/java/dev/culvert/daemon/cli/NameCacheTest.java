package dev.culvert.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Main#leaveNameCachingToTheSystem}: a name looked up again right after its address changed gets the new
 * address, and a name that did not resolve resolves as soon as it exists — the JVM keeps no answer of its own.
 * Each case runs in a child JVM (the cache policy is fixed at a JVM's first look-up) that reads names from a hosts
 * file of the test's ({@code jdk.net.hosts.file}), rewritten between two look-ups; the control runs the same
 * probe with the JDK's defaults and sees the stale answers (30 s positive, 10 s negative), so the test can fail.
 */
class NameCacheTest {

    private static final String NAME = "server.culvert.test";
    private static final String LATE = "late.culvert.test";

    @TempDir
    Path dir;

    @Test
    void withTheDaemonsSettingEveryLookUpSeesTheCurrentAnswer() throws Exception {
        List<String> out = probe(true);
        assertThat(out).containsExactly("first 192.0.2.7", "second 198.51.100.7", "late 203.0.113.9");
    }

    @Test
    void withTheJdkDefaultsTheOldAnswersStick() throws Exception {
        List<String> out = probe(false);
        assertThat(out).containsExactly("first 192.0.2.7", "second 192.0.2.7", "late unknown");
    }

    private List<String> probe(boolean daemonSetting) throws IOException, InterruptedException {
        Path hosts = dir.resolve("hosts");
        Files.writeString(hosts, "192.0.2.7 " + NAME + "\n");
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) {
            cp = System.getProperty("java.class.path");
        }
        List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djdk.net.hosts.file=" + hosts, "-cp", cp, Probe.class.getName(), hosts.toString(),
                Boolean.toString(daemonSetting)));
        Process child = new ProcessBuilder(argv).redirectErrorStream(true).start();
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("the probe ends").isTrue();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.exitValue()).as("probe exit; output:%n%s", output).isZero();
        return output.lines().toList();
    }

    /** The child: looks up, rewrites the hosts file, looks up again; prints what it got. */
    public static final class Probe {
        public static void main(String[] args) throws IOException {
            if (Boolean.parseBoolean(args[1])) {
                Main.leaveNameCachingToTheSystem();
            }
            Path hosts = Path.of(args[0]);
            System.out.println("first " + lookUp(NAME));
            System.out.flush();
            String missing = lookUp(LATE); // not there yet: a failure the JDK would remember
            if (!missing.equals("unknown")) {
                throw new IllegalStateException(LATE + " resolved before it existed: " + missing);
            }
            Files.writeString(hosts, "198.51.100.7 " + NAME + "\n203.0.113.9 " + LATE + "\n");
            System.out.println("second " + lookUp(NAME));
            System.out.println("late " + lookUp(LATE));
        }

        private static String lookUp(String name) {
            try {
                return InetAddress.getByName(name).getHostAddress();
            } catch (UnknownHostException e) {
                return "unknown";
            }
        }
    }
}
