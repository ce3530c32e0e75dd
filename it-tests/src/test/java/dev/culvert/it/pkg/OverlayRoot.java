package dev.culvert.it.pkg;

import dev.culvert.it.harness.Exec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A throwaway root file system: a folder under {@code /var/tmp} holding a tmpfs, on which an overlay ({@code
 * upper}, {@code work}) over a cached tree is mounted at {@code root}; the cache is never written. Closing it
 * unmounts everything it mounted in reverse order (lazily if something still holds a mount) and removes the folder.
 */
final class OverlayRoot implements AutoCloseable {
    private final Path dir;
    private final List<Path> mounts = new ArrayList<>();

    private OverlayRoot(Path dir) {
        this.dir = dir;
    }

    /**
     * Mounts a fresh overlay over {@code cache} in a new folder {@code /var/tmp/<prefix>...}.
     *
     * @throws UncheckedIOException if the folder or a mount point cannot be made
     * @throws AssertionError if a mount fails
     */
    static OverlayRoot over(Path cache, String prefix) {
        Path dir;
        try {
            dir = Files.createTempDirectory(Path.of("/var/tmp"), prefix);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a folder under /var/tmp", e);
        }
        OverlayRoot overlay = new OverlayRoot(dir);
        try {
            overlay.mount("-t", "tmpfs", "-o", "mode=0755", "tmpfs", dir.toString());
            for (String sub : List.of("upper", "work", "root")) {
                Files.createDirectory(dir.resolve(sub));
            }
            overlay.mount("-t", "overlay", "-o", "lowerdir=" + cache + ",upperdir=" + dir.resolve("upper")
                    + ",workdir=" + dir.resolve("work"), "overlay", overlay.root().toString());
            return overlay;
        } catch (IOException e) {
            overlay.close();
            throw new UncheckedIOException("cannot prepare the overlay in " + dir, e);
        } catch (RuntimeException | AssertionError e) {
            overlay.close();
            throw e;
        }
    }

    /** The overlay's root folder, seen from the host. */
    Path root() {
        return dir.resolve("root");
    }

    /** Runs {@code mount ARGS...} (the last argument is the target) and unmounts it again on {@link #close()}. */
    void mount(String... args) {
        List<String> command = new ArrayList<>(List.of("mount"));
        command.addAll(List.of(args));
        Exec.run(command, null, Map.of(), Exec.DEFAULT_TIMEOUT).requireSuccess();
        mounts.add(Path.of(args[args.length - 1]));
    }

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
