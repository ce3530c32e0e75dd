package dev.culvert.it.pkg;

import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.Exec;
import dev.culvert.it.harness.ExecResult;
import dev.culvert.it.harness.Netns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A minimal Debian 12 booted with systemd as PID 1 ({@code systemd-nspawn -b}) in a network namespace the test
 * made: an overlay (on a tmpfs) over the cached tree that {@code bookworm-rootfs.sh --sites} builds once per
 * machine, so the cache is never written. On a host that runs no systemd itself nspawn needs
 * {@code --register=no --keep-unit} (no machined, no scope unit). Commands run inside through {@code nsenter}
 * into the container's PID 1 (mount, UTS, IPC, network and PID namespaces). Closing it sends nspawn SIGTERM
 * (nspawn then powers the container off), unmounts everything and deletes the folder.
 */
final class BootedContainer implements AutoCloseable {

    /** Where the cached tree lives unless {@code -Dculvert.it.sites-rootfs=DIR} says otherwise. */
    static final Path DEFAULT_CACHE = Path.of("/var/cache/culvert-test/bookworm-sites-rootfs");

    /** Boot to "running" on a loaded 2-core machine: a few seconds; JVM starts inside take 1-3 s each. */
    static final Duration BOOT_TIMEOUT = Duration.ofSeconds(90);

    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);

    private static final Map<String, String> ENV = Map.of("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", "LANG", "C.UTF-8",
            "DEBIAN_FRONTEND", "noninteractive", "SYSTEMD_PAGER", "", "SYSTEMD_COLORS", "0");

    private final String name;
    private final OverlayRoot overlay;
    private final Path root;
    private BackgroundProcess nspawn;
    private long leader;

    private BootedContainer(String name, OverlayRoot overlay) {
        this.name = name;
        this.overlay = overlay;
        this.root = overlay.root();
    }

    /** Builds the cached tree if needed (root, debootstrap, ~2 min cold) and returns its path. */
    static Path cache() {
        Path cache = Path.of(System.getProperty("culvert.it.sites-rootfs", DEFAULT_CACHE.toString()));
        Path script = DebPackage.packagingDir().resolve("src/test/sh/bookworm-rootfs.sh");
        Exec.run(List.of(script.toString(), "--sites", cache.toString()), null, Map.of(), BookwormChroot.BUILD_TIMEOUT)
                .requireSuccess();
        return cache;
    }

    /** Boots a container called {@code name} in {@code netns} and waits until systemd says it is running. */
    static BootedContainer boot(String name, Path cache, Netns netns) {
        BootedContainer container = new BootedContainer(name, OverlayRoot.over(cache, "culvert-nspawn-" + name + "-"));
        try {
            container.nspawn = BackgroundProcess.start("nspawn-" + name, List.of("systemd-nspawn", "-q", "-D",
                    container.root.toString(), "-M", name, "-b", "--register=no", "--keep-unit", "--console=passive",
                    "--network-namespace-path=/run/netns/" + netns.name(),
                    // A namespace path does not count as a private network for nspawn 252: no CAP_NET_ADMIN unless asked.
                    "--capability=CAP_NET_ADMIN"), Map.of(), netns.logDir());
            AtomicLong leader = new AtomicLong();
            await("systemd (PID 1) of container " + name).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        leader.set(childOf(container.nspawn.pid()));
                        return leader.get() > 0 || !container.nspawn.isAlive();
                    });
            if (leader.get() <= 0) {
                throw new AssertionError("systemd-nspawn exited before its container started (logs in "
                        + netns.logDir() + ")");
            }
            container.leader = leader.get();
            // Until systemd's private socket exists, systemctl says "Failed to connect to bus" and prints nothing;
            // until systemd has made /run/systemd/system (sd_booted(3)), it prints "offline" without asking anyone.
            java.util.concurrent.atomic.AtomicReference<ExecResult> booted = new java.util.concurrent.atomic.AtomicReference<>();
            await("systemd of container " + name + " answering").atMost(BOOT_TIMEOUT).pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        booted.set(container.run(BOOT_TIMEOUT, "systemctl", "is-system-running", "--wait"));
                        String said = booted.get().stdout().strip();
                        return !said.isEmpty() && !said.equals("offline");
                    });
            ExecResult state = booted.get();
            if (!state.stdout().strip().equals("running")) {
                throw new AssertionError("container " + name + " booted to '" + state.stdout().strip() + "' ("
                        + state.describe() + "): "
                        + container.run(COMMAND_TIMEOUT, "systemctl", "--failed", "--no-legend").stdout());
            }
            return container;
        } catch (RuntimeException | AssertionError e) {
            container.close();
            throw e;
        }
    }

    /** The first child of a process, from {@code /proc/PID/task/PID/children}; 0 if none yet. */
    private static long childOf(long pid) throws IOException {
        Path children = Path.of("/proc/" + pid + "/task/" + pid + "/children");
        if (!Files.exists(children)) {
            return 0;
        }
        String text = Files.readString(children).strip();
        if (text.isEmpty()) {
            return 0;
        }
        long child = Long.parseLong(text.split("\\s+")[0]);
        // nspawn's first child sets up the namespaces, then execs the container's init: wait for that.
        try {
            return Files.readString(Path.of("/proc/" + child + "/comm")).strip().equals("systemd") ? child : 0;
        } catch (IOException e) {
            return 0; // gone meanwhile
        }
    }

    String name() {
        return name;
    }

    /** A path inside the container, seen from the host ({@code "/etc/culvert"} -> {@code <root>/etc/culvert}). */
    Path path(String absolute) {
        return root.resolve(absolute.substring(1));
    }

    /** Runs a command inside the container, whatever its outcome. */
    ExecResult run(Duration timeout, String... command) {
        List<String> full = new ArrayList<>(List.of("nsenter", "-t", Long.toString(leader), "-m", "-u", "-i", "-n",
                "-p", "--", "/usr/bin/env", "-i"));
        ENV.forEach((k, v) -> full.add(k + "=" + v));
        full.addAll(List.of(command));
        return Exec.run(full, null, Map.of(), timeout);
    }

    /** Runs a shell command line inside the container, whatever its outcome. */
    ExecResult sh(String commandLine) {
        return run(COMMAND_TIMEOUT, "/bin/sh", "-c", commandLine);
    }

    /** Runs a shell command line inside the container and requires it to succeed. */
    ExecResult must(String commandLine) {
        return sh(commandLine).requireSuccess();
    }

    /** One property of a unit, as {@code systemctl show -p NAME --value} prints it. */
    String unitProperty(String unit, String property) {
        return must("systemctl show -p " + property + " --value " + unit).stdout().strip();
    }

    @Override
    public void close() {
        if (nspawn != null) {
            nspawn.close();
        }
        overlay.close();
    }
}
