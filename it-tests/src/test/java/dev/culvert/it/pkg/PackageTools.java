package dev.culvert.it.pkg;

import dev.culvert.it.harness.RootCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Preconditions of the package tests, checked the way {@link RootCheck} checks the namespace tests:
 * a missing tool skips the test with the reason, or fails it when {@code CI=true}.
 */
final class PackageTools {

    /** tool -> Debian package that provides it, for the message. */
    private static final Map<String, String> PACKAGE_OF = Map.of(
            "dpkg-deb", "dpkg",
            "debootstrap", "debootstrap",
            "chroot", "coreutils",
            "mount", "mount",
            "flock", "util-linux",
            "setpriv", "util-linux",
            "systemd-analyze", "systemd");

    private PackageTools() {
    }

    /** Skips (or fails in CI) unless every tool is on PATH and, if {@code needsRoot}, we are root. */
    static void require(boolean needsRoot, String... tools) {
        List<String> problems = new ArrayList<>();
        if (needsRoot && !"root".equals(System.getProperty("user.name"))) {
            problems.add("needs root");
        }
        for (String tool : tools) {
            if (RootCheck.which(tool).isEmpty()) {
                problems.add("'" + tool + "' is not on PATH (Debian: apt-get install "
                        + PACKAGE_OF.getOrDefault(tool, tool) + ")");
            }
        }
        if (problems.isEmpty()) {
            return;
        }
        String reason = String.join("; ", problems);
        if (RootCheck.inCi()) {
            Assertions.fail("CI=true and a package-test prerequisite is missing: " + reason);
        }
        Assumptions.abort("skipped: " + reason);
    }
}
