package dev.culvert.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A key file could not be used: missing, unreadable, readable by others, or not a key. The message names the
 * file and the fix, and never contains anything read from the file.
 */
public final class KeyFileException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /** Creates the exception; {@code message} must already name the file. */
    public KeyFileException(Path file, String message) {
        super(message);
        this.file = Objects.requireNonNull(file, "file");
    }

    /** The key file concerned. */
    public Path file() {
        return file;
    }
}
