package dev.culvert.it.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Writes secret files (private and preshared keys) that are never readable by group or others. */
public final class KeyFiles {

    /** rw-------: what Culvert, like ssh, requires of a private key file. */
    public static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private KeyFiles() {
    }

    /** Creates {@code file} with mode 0600 from the start (no window where it is world-readable). */
    public static Path writeSecret(Path file, String base64Key) {
        try {
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            Files.writeString(file, base64Key.strip() + "\n", StandardCharsets.US_ASCII);
            return file;
        } catch (IOException e) {
            // The key itself stays out of the message.
            throw new UncheckedIOException("cannot write key file " + file, e);
        }
    }

    /** Changes a file's mode, e.g. to make a key file too open on purpose. */
    public static void chmod(Path file, String mode) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot chmod " + mode + " " + file, e);
        }
    }
}
