package dev.culvert.config;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/** Reads a key-file path from a section and checks the file there with {@link KeyFiles#readKey(Path)}. */
final class KeyFileSetting {

    private KeyFileSetting() {
    }

    /** A required key file; null if missing or unusable (problem recorded). */
    static Path required(Section section, String key, Path baseDir) {
        Path file = section.parsed(key, text -> Values.path(text, baseDir));
        return file != null && usable(section, key, file) ? file : null;
    }

    /** An optional key file; empty if not set, or if unusable (problem recorded). */
    static Optional<Path> optional(Section section, String key, Path baseDir) {
        return section.optionalParsed(key, text -> Values.path(text, baseDir))
                .filter(file -> usable(section, key, file));
    }

    private static boolean usable(Section section, String key, Path file) {
        try {
            Arrays.fill(KeyFiles.readKey(file), (byte) 0);
            return true;
        } catch (KeyFileException e) {
            section.problem(key, e.getMessage());
            return false;
        }
    }
}
