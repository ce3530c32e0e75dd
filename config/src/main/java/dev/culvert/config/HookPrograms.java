package dev.culvert.config;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The program an {@code up}/{@code down} command runs, found as the daemon finds it: the daemon splits the line
 * into words ({@link HookCommand#split}) and starts the first word with no shell, as execvp(3) does (Java's
 * {@code ProcessBuilder}): a word with a {@code /} is a path (relative ones from the daemon's working directory,
 * {@code /} under systemd); a bare name is looked for in each directory of {@code PATH}, skipping files that are
 * not executable. A shell builtin or alias ({@code cd}, {@code source}, {@code ll}) is not a program there.
 */
public final class HookPrograms {
    private HookPrograms() {}

    /** The PATH systemd gives a service (systemd.exec(5), "Environment variables in spawned processes"). */
    public static final String SERVICE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /** This process's PATH, which the daemon's hooks inherit; {@link #SERVICE_PATH} if it has none. */
    public static String searchPath() {
        String path = System.getenv("PATH");
        return path == null || path.isEmpty() ? SERVICE_PATH : path;
    }

    /**
     * The program {@code command} would run: empty if its first word holds a placeholder ({@code %dev%} ...),
     * which only the tunnel's values decide.
     *
     * @throws IllegalArgumentException naming the program, why it cannot run, and the fix
     */
    public static Optional<Path> find(String command, String searchPath) {
        List<String> words = HookCommand.split(command);
        if (words.isEmpty() || words.get(0).contains("%")) {
            return Optional.empty();
        }
        String word = words.get(0);
        if (word.contains("/")) {
            Path program;
            try {
                program = Path.of(word).toAbsolutePath();
            } catch (InvalidPathException e) {
                throw new IllegalArgumentException("hook program '" + word + "' is not a valid path: " + e.getReason(), e);
            }
            if (!Files.exists(program)) {
                throw new IllegalArgumentException("hook program " + program + " does not exist; fix: install it, or "
                        + "correct the path");
            }
            if (!Files.isRegularFile(program)) {
                throw new IllegalArgumentException("hook program " + program + " is not a file");
            }
            if (!Files.isExecutable(program)) {
                throw new IllegalArgumentException("hook program " + program + " is not executable; fix: chmod a+rx "
                        + program);
            }
            return Optional.of(program);
        }
        for (String dir : searchPath.split(":", -1)) {
            Path candidate;
            try {
                candidate = Path.of(dir.isEmpty() ? "." : dir, word).toAbsolutePath();
            } catch (InvalidPathException e) {
                continue;
            }
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        throw new IllegalArgumentException("hook program '" + word + "' is not an executable on the PATH (" + searchPath
                + "); hooks run without a shell, so a shell builtin or alias is no program: fix: give the program's "
                + "full path, install it, or run the line through sh -c '...'");
    }
}
