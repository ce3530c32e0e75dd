package dev.culvert.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Folders for keys, configs and logs of one test run, under {@code target/it-work/}.
 * They are kept after the run so a failure can be looked at.
 */
public final class Workspace {

    /** System property naming the root folder; defaults to {@code target/it-work}. */
    public static final String ROOT_PROPERTY = "culvert.it.work";

    private Workspace() {
    }

    /** Creates a new, empty folder whose name starts with {@code prefix}. */
    public static Path newDir(String prefix) {
        Path root = Path.of(System.getProperty(ROOT_PROPERTY, "target/it-work")).toAbsolutePath();
        try {
            Files.createDirectories(root);
            return Files.createTempDirectory(root, prefix + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a work folder under " + root, e);
        }
    }
}
