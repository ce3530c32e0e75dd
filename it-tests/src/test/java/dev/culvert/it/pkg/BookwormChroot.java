package dev.culvert.it.pkg;

import dev.culvert.it.harness.Exec;
import dev.culvert.it.harness.ExecResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A throwaway Debian 12 root file system to install the package into: an overlay (on a tmpfs) over
 * the cached minbase tree that {@code packaging/src/test/sh/bookworm-rootfs.sh} builds once per
 * machine, with {@code /proc} mounted. Closing it unmounts everything and deletes the folder; the
 * cache is never written.
 */
final class BookwormChroot implements AutoCloseable {

    /** Where the cached tree lives; shared by every run on this machine. */
    static final Path CACHE = Path.of("/var/cache/culvert-test/bookworm-rootfs");

    /** Cold: debootstrap plus a JRE from the mirror (~60 s measured, slower mirrors more). Warm: instant. */
    static final Duration BUILD_TIMEOUT = Duration.ofMinutes(10);

    /** dpkg -i / -r / -P and a JVM start inside the chroot on a loaded 2-core machine. */
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);

    private final OverlayRoot overlay;
    private final Path root;

    private BookwormChroot(OverlayRoot overlay) {
        this.overlay = overlay;
        this.root = overlay.root();
    }

    /** Builds the cache if needed, then mounts a fresh overlay over it. */
    static BookwormChroot create() {
        Path script = DebPackage.packagingDir().resolve("src/test/sh/bookworm-rootfs.sh");
        Exec.run(List.of(script.toString(), CACHE.toString()), null, Map.of(), BUILD_TIMEOUT).requireSuccess();
        OverlayRoot overlay = OverlayRoot.over(CACHE, "culvert-chroot-");
        try {
            overlay.mount("-t", "proc", "proc", overlay.root().resolve("proc").toString());
        } catch (RuntimeException | AssertionError e) {
            overlay.close();
            throw e;
        }
        return new BookwormChroot(overlay);
    }

    /** The chroot's root folder, seen from the host. */
    Path root() {
        return root;
    }

    /** A path inside the chroot, seen from the host ({@code "/etc/culvert"} -> {@code <root>/etc/culvert}). */
    Path path(String absolute) {
        return root.resolve(absolute.substring(1));
    }

    /** Runs a command inside the chroot, whatever its outcome. */
    ExecResult run(String... command) {
        List<String> full = new ArrayList<>(List.of("chroot", root.toString()));
        full.addAll(List.of(command));
        return Exec.run(full, null, Map.of("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", "LANG", "C.UTF-8"), COMMAND_TIMEOUT);
    }

    /** Runs a shell command line inside the chroot and requires it to succeed. */
    ExecResult sh(String commandLine) {
        return run("/bin/sh", "-c", commandLine).requireSuccess();
    }

    /** Unmounts everything and removes the folder. */
    @Override
    public void close() {
        overlay.close();
    }
}
