package dev.culvert.it.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Checks that end-to-end tests can run here: root, {@code /dev/net/tun}, {@code ip} and
 * {@code ping}, a namespace can really be made (containers often forbid it), and the tools
 * named by {@link RequiresNetns#tools()}.
 *
 * <p>When something is missing the test class is skipped with the reason; when the
 * environment variable {@code CI} is {@code true} it fails instead, so a CI machine that
 * lost a prerequisite cannot pass by skipping everything.
 */
public final class RootCheck implements BeforeAllCallback {

    /** Always needed, whatever the test. */
    static final List<String> BASE_TOOLS = List.of("ip", "ping");

    private static final Path TUN = Path.of("/dev/net/tun");

    /** The namespace probe costs a fork or two: done once per JVM. */
    private static volatile Optional<String> namespaceProblem;

    @Override
    public void beforeAll(ExtensionContext context) {
        List<String> tools = new ArrayList<>(BASE_TOOLS);
        AnnotationSupport.findAnnotation(context.getRequiredTestClass(), RequiresNetns.class)
                .ifPresent(annotation -> tools.addAll(List.of(annotation.tools())));
        problem(tools).ifPresent(RootCheck::skipOrFail);
    }

    /** What keeps the end-to-end tests from running here, if anything. */
    public static Optional<String> problem(List<String> tools) {
        if (!isRoot()) {
            return Optional.of("end-to-end tests need root (they create network namespaces and tun devices)");
        }
        if (!Files.exists(TUN)) {
            return Optional.of(TUN + " does not exist (try: modprobe tun)");
        }
        for (String tool : tools) {
            if (which(tool).isEmpty()) {
                return Optional.of("'" + tool + "' is not on PATH (Debian: apt-get install " + debianPackage(tool) + ")");
            }
        }
        return namespaceProblem();
    }

    /** Whether the tests run in CI, where a missing prerequisite is a failure, not a skip. */
    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** The first executable called {@code tool} on PATH. */
    public static Optional<Path> which(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : path.split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, tool);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Fails (CI=true) or skips (elsewhere) the running test for {@code reason}, a missing prerequisite. */
    public static void skipOrFail(String reason) {
        if (inCi()) {
            Assertions.fail("CI=true and an end-to-end prerequisite is missing: " + reason);
        }
        Assumptions.abort("skipped: " + reason);
    }

    private static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0"); // real, EFFECTIVE, saved, fs
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    private static Optional<String> namespaceProblem() {
        Optional<String> known = namespaceProblem;
        if (known == null) {
            String probe = Netns.PREFIX + "probe-" + ProcessHandle.current().pid();
            ExecResult add = Exec.run("ip", "netns", "add", probe);
            Exec.run("ip", "netns", "del", probe);
            known = add.ok() ? Optional.empty()
                    : Optional.of("cannot create a network namespace: " + add.stderr().strip());
            namespaceProblem = known;
        }
        return known;
    }

    private static String debianPackage(String tool) {
        return switch (tool) {
            case "ip", "ss", "tc" -> "iproute2";
            case "ping" -> "iputils-ping";
            case "wg" -> "wireguard-tools";
            case "setpriv", "unshare" -> "util-linux";
            default -> tool;
        };
    }
}
