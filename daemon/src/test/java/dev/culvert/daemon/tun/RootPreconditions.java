package dev.culvert.daemon.tun;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * What a real-device test needs: root, {@code /dev/net/tun}, {@code ip} and {@code ping}. When
 * something is missing the test is skipped with the reason, except under CI ({@code CI=true}),
 * where a skipped real-device test would hide a broken machine, so it fails instead.
 */
public final class RootPreconditions {

    private static final Path TUN = Path.of("/dev/net/tun");
    private static final Pattern UID_LINE = Pattern.compile("^Uid:\\s+(\\d+)\\s+(\\d+).*", Pattern.DOTALL);

    private RootPreconditions() {
    }

    public static void require(String... programs) {
        List<String> missing = new ArrayList<>();
        if (effectiveUid() != 0) {
            missing.add("root (the test creates network namespaces and tun devices)");
        }
        if (!Files.exists(TUN)) {
            missing.add(TUN + " (load the tun module: modprobe tun)");
        }
        for (String program : programs) {
            if (!onPath(program)) {
                missing.add("'" + program + "' on PATH");
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        String reason = "real tun device test needs " + String.join(", ", missing);
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(reason + " (CI=true, so this is a failure, not a skip)");
        }
        Assumptions.abort(reason);
    }

    private static int effectiveUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                var m = UID_LINE.matcher(line);
                if (m.matches()) {
                    return Integer.parseInt(m.group(2));
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return -1;
    }

    private static boolean onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
