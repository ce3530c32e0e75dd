package dev.culvert.it.pkg;

import dev.culvert.it.harness.Exec;
import dev.culvert.it.harness.ExecResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
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

    private final Path dir;
    private final Path root;
    private final List<Path> mounts = new ArrayList<>();

    private BookwormChroot(Path dir) {
        this.dir = dir;
        this.root = dir.resolve("root");
    }

    /** Builds the cache if needed, then mounts a fresh overlay over it. */
    static BookwormChroot create() {
        Path script = DebPackage.packagingDir().resolve("src/test/sh/bookworm-rootfs.sh");
        Exec.run(List.of(script.toString(), CACHE.toString()), null, Map.of(), BUILD_TIMEOUT).requireSuccess();
        Path dir;
        try {
            dir = Files.createTempDirectory(Path.of("/var/tmp"), "culvert-chroot-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a folder under /var/tmp", e);
        }
        BookwormChroot chroot = new BookwormChroot(dir);
        try {
            chroot.mount("-t", "tmpfs", "-o", "mode=0755", "tmpfs", dir.toString());
            for (String sub : List.of("upper", "work", "root")) {
                Files.createDirectory(dir.resolve(sub));
            }
            chroot.mount("-t", "overlay", "-o", "lowerdir=" + CACHE + ",upperdir=" + dir.resolve("upper")
                    + ",workdir=" + dir.resolve("work"), "overlay", chroot.root.toString());
            chroot.mount("-t", "proc", "proc", chroot.root.resolve("proc").toString());
            return chroot;
        } catch (IOException e) {
            chroot.close();
            throw new UncheckedIOException("cannot prepare the overlay in " + dir, e);
        } catch (RuntimeException | AssertionError e) {
            chroot.close();
            throw e;
        }
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

    private void mount(String... args) {
        List<String> command = new ArrayList<>(List.of("mount"));
        command.addAll(List.of(args));
        Exec.run(command, null, Map.of(), Exec.DEFAULT_TIMEOUT).requireSuccess();
        mounts.add(Path.of(args[args.length - 1]));
    }

    /** Unmounts in reverse order (lazily if something still holds a mount), then removes the folder. */
    @Override
    public void close() {
        for (int i = mounts.size() - 1; i >= 0; i--) {
            String target = mounts.get(i).toString();
            if (!Exec.run("umount", target).ok()) {
                Exec.run("umount", "-l", target);
            }
        }
        mounts.clear();
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // A lazily unmounted tmpfs may still be busy; it holds nothing of the host's.
        }
    }
}
