package dev.culvert.daemon.tun;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A network namespace made for one test and deleted by {@link #close()}: the only place the
 * real-device tests create interfaces or send packets.
 */
public final class Netns implements AutoCloseable {

    static final String PREFIX = "cvt-";
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);

    private final String name;
    private final ProcessCommandRunner runner = new ProcessCommandRunner();
    private final List<ChildJvm> children = new ArrayList<>();

    private Netns(String name) {
        this.name = name;
    }

    /** Creates {@code cvt-<random>} with its loopback up. */
    static Netns create() throws IOException, InterruptedException {
        return create(PREFIX);
    }

    /** Creates {@code <prefix><random>} with its loopback up. */
    public static Netns create(String prefix) throws IOException, InterruptedException {
        byte[] random = new byte[4];
        new SecureRandom().nextBytes(random);
        Netns ns = new Netns(prefix + HexFormat.of().formatHex(random));
        ns.check(ns.runner.run(List.of("ip", "netns", "add", ns.name), COMMAND_TIMEOUT), "ip netns add");
        try {
            ns.check(ns.ip("link", "set", "lo", "up"), "ip link set lo up");
        } catch (IOException | RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    public String name() {
        return name;
    }

    /** {@code ip -n NS args...} */
    public CommandRunner.CommandResult ip(String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("ip", "-n", name));
        argv.addAll(List.of(args));
        return runner.run(argv, COMMAND_TIMEOUT);
    }

    /** {@code ip netns exec NS argv...}, to completion. */
    public CommandRunner.CommandResult exec(String... argv) throws IOException, InterruptedException {
        return runner.run(execArgv(List.of(argv)), COMMAND_TIMEOUT);
    }

    /** Starts {@code java -cp <this JVM's test class path> mainClass args...} inside the namespace. */
    public ChildJvm startJava(Class<?> mainClass, String... args) throws IOException {
        List<String> java = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", testClassPath(),
                "-Xmx128m",
                mainClass.getName()));
        java.addAll(List.of(args));
        ChildJvm child = ChildJvm.start(execArgv(java));
        children.add(child);
        return child;
    }

    /**
     * Surefire may run tests from a manifest-only booter jar, whose {@code java.class.path} is
     * useless to a child; it also publishes the real path as {@code surefire.test.class.path}.
     */
    static String testClassPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    private List<String> execArgv(List<String> argv) {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", name));
        all.addAll(argv);
        return all;
    }

    private void check(CommandRunner.CommandResult result, String what) throws IOException {
        if (!result.succeeded()) {
            throw new IOException(what + " for namespace " + name + " failed: " + result.firstErrorLine());
        }
    }

    /** Stops every child and deletes the namespace (and with it any interface left inside). */
    @Override
    public void close() throws IOException {
        for (ChildJvm child : children) {
            child.close();
        }
        try {
            check(runner.run(List.of("ip", "netns", "delete", name), COMMAND_TIMEOUT), "ip netns delete");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while deleting namespace " + name, e);
        }
    }
}
