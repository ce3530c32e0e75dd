package dev.culvert.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;

/**
 * Reads WireGuard-style key files: one 32-byte key in standard base64, surrounding whitespace ignored.
 *
 * <p>As ssh does with private keys, a file that group or others may read, write or execute is refused, with
 * the {@code chmod} that fixes it. Messages name the file and never include anything read from it.
 */
public final class KeyFiles {

    /** Length of a Curve25519 key or a preshared key, in bytes. */
    public static final int KEY_BYTES = 32;
    /** A key file is 44 base64 characters and a newline; anything much larger is not a key file. */
    static final int MAX_FILE_BYTES = 1024;

    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS_READ = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);

    private KeyFiles() {
    }

    /**
     * Reads the key in {@code file} after checking that only its owner may access it.
     *
     * @return the 32 key bytes; the caller owns the array and should zero it when done
     * @throws KeyFileException with a message naming the file and what to do, never the file's content
     */
    public static byte[] readKey(Path file) throws KeyFileException {
        byte[] content = readOwnerOnly(file);
        try {
            byte[] key = decode(content);
            if (key == null) {
                throw new KeyFileException(file, file + " does not hold a key: expected " + KEY_BYTES
                        + " bytes in base64 (as written by 'culvert genkey' or 'wg genkey')");
            }
            return key;
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    /**
     * Reads a VTUN session password ({@code legacy.password-file}) after checking that only its owner may access it,
     * as {@link #readKey(Path)} does. The file holds one word (vtund's {@code passwd} is a single word); surrounding
     * ASCII whitespace (the trailing newline) is dropped.
     *
     * @return the password's bytes (1..1024); the caller owns the array and should zero it when done
     * @throws KeyFileException with a message naming the file, never its content: missing, unreadable, group/other
     *                          accessible, empty, or holding whitespace inside the word
     */
    public static byte[] readPassword(Path file) throws KeyFileException {
        byte[] content = readOwnerOnly(file);
        try {
            int start = 0;
            int end = content.length;
            while (start < end && isWhitespace(content[start])) {
                start++;
            }
            while (end > start && isWhitespace(content[end - 1])) {
                end--;
            }
            if (start == end) {
                throw new KeyFileException(file, file + " is empty: it must hold the session's password (vtund's passwd)");
            }
            for (int i = start; i < end; i++) {
                if (isWhitespace(content[i]) || content[i] == 0) {
                    throw new KeyFileException(file, file + " holds more than one word: vtund's passwd is a single word");
                }
            }
            return Arrays.copyOfRange(content, start, end);
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    /**
     * Decodes a base64 key from {@code text} after trimming ASCII whitespace.
     *
     * @return the 32 key bytes, or null if {@code text} is not a base64 32-byte key
     */
    static byte[] decode(byte[] text) {
        int start = 0;
        int end = text.length;
        while (start < end && isWhitespace(text[start])) {
            start++;
        }
        while (end > start && isWhitespace(text[end - 1])) {
            end--;
        }
        byte[] trimmed = Arrays.copyOfRange(text, start, end);
        try {
            byte[] key = Base64.getDecoder().decode(trimmed);
            if (key.length == KEY_BYTES) {
                return key;
            }
            Arrays.fill(key, (byte) 0);
            return null;
        } catch (IllegalArgumentException e) {
            return null; // the decoder's message may quote the input: never pass it on
        } finally {
            Arrays.fill(trimmed, (byte) 0);
        }
    }

    /** The mode bits in octal as {@code ls -l} users know them, e.g. {@code 0644}. */
    static String octalMode(Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (PosixFilePermission permission : permissions) {
            mode |= 1 << (PosixFilePermission.values().length - 1 - permission.ordinal());
        }
        return String.format("%04o", mode);
    }

    private static PosixFileAttributes attributes(Path file) throws KeyFileException {
        try {
            return Files.readAttributes(file, PosixFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new KeyFileException(file, "cannot read " + file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new KeyFileException(file, "cannot read " + file + ": permission denied");
        } catch (UnsupportedOperationException e) {
            throw new KeyFileException(file, "cannot check the permissions of " + file
                    + ": its file system has no POSIX modes");
        } catch (IOException e) {
            throw new KeyFileException(file, "cannot read " + file + ": " + e.getClass().getSimpleName());
        }
    }

    private static void checkMode(Path file, Set<PosixFilePermission> permissions) throws KeyFileException {
        Set<PosixFilePermission> extra = EnumSet.noneOf(PosixFilePermission.class);
        extra.addAll(permissions);
        extra.retainAll(GROUP_OR_OTHERS);
        if (extra.isEmpty()) {
            return;
        }
        boolean readable = extra.stream().anyMatch(GROUP_OR_OTHERS_READ::contains);
        throw new KeyFileException(file, file + " is " + (readable ? "readable" : "accessible")
                + " by group or others (mode " + octalMode(permissions) + "); run chmod 600 " + file);
    }

    /**
     * Why this process cannot read a key file whose owner and mode it could see, and the fix: the file must
     * belong to the user the daemon runs as (culvert for the packaged unit), mode 0600.
     */
    static String notReadableMessage(Path file, PosixFileAttributes attributes, String user) {
        return "cannot read " + file + ": permission denied for user " + user + " (owner "
                + attributes.owner().getName() + ":" + attributes.group().getName() + ", mode "
                + octalMode(attributes.permissions()) + "); the daemon's user must own it: chown " + user + ":"
                + user + " " + file + " && chmod 0600 " + file;
    }

    /**
     * The content of a secret file after checking it is a regular file that only its owner may access.
     *
     * @throws KeyFileException naming the file and the fix, never its content
     */
    private static byte[] readOwnerOnly(Path file) throws KeyFileException {
        PosixFileAttributes attributes = attributes(file);
        if (!attributes.isRegularFile()) {
            throw new KeyFileException(file, file + " is not a regular file");
        }
        checkMode(file, attributes.permissions());
        return readBounded(file, attributes);
    }

    private static byte[] readBounded(Path file, PosixFileAttributes attributes) throws KeyFileException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] content = in.readNBytes(MAX_FILE_BYTES + 1);
            if (content.length > MAX_FILE_BYTES) {
                Arrays.fill(content, (byte) 0);
                throw new KeyFileException(file, file + " is too large to be a key file (over "
                        + MAX_FILE_BYTES + " bytes)");
            }
            return content;
        } catch (AccessDeniedException e) {
            throw new KeyFileException(file, notReadableMessage(file, attributes, System.getProperty("user.name")));
        } catch (KeyFileException e) {
            throw e;
        } catch (IOException e) {
            throw new KeyFileException(file, "cannot read " + file + ": " + e.getClass().getSimpleName());
        }
    }

    private static boolean isWhitespace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' || b == 0x0b;
    }
}
