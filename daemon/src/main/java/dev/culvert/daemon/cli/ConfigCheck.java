package dev.culvert.daemon.cli;

import dev.culvert.config.ConfigException;
import dev.culvert.config.ConfigLoader;
import dev.culvert.config.ConfigProblem;
import dev.culvert.config.CulvertConfig;
import dev.culvert.config.HookPrograms;
import dev.culvert.config.TunnelConfig;
import dev.culvert.crypto.ChaCha20Poly1305Factory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one validation path of {@code culvert check-config}, {@code culvert run} and a reload: every check that
 * needs only the file, the key files and this JVM, run before anything touches the network. What passes here
 * fails later only for what the host decides at that moment (a device name or port already taken, a missing
 * tun module, no permission).
 *
 * <p>In order: the config file ({@link ConfigLoader}: syntax, schema, values, key files' presence, permissions
 * and contents, checks across tunnels); the keys themselves ({@link Preflight}); the data-path
 * ChaCha20-Poly1305 that {@code culvert.aead}, or the {@code -Dculvert.aead} property, forces
 * ({@link ChaCha20Poly1305Factory}). Each problem is one line, {@code file:line: key.path: message} or
 * {@code file: key.path: message}.
 */
final class ConfigCheck {
    private ConfigCheck() {}

    /**
     * What the checks found.
     *
     * @param config   the validated configuration, or null if there are problems
     * @param problems one line per problem; empty if valid
     */
    record Result(CulvertConfig config, List<String> problems) {
        Result {
            problems = List.copyOf(problems);
        }

        boolean valid() {
            return problems.isEmpty();
        }
    }

    /** Runs every check on {@code file}. Never touches the network; never throws for a bad file. */
    static Result check(Path file) {
        CulvertConfig config;
        try {
            config = ConfigLoader.load(file);
        } catch (ConfigException e) {
            return new Result(null, e.problems().stream().map(ConfigProblem::toString).toList());
        }
        List<String> problems = new ArrayList<>(Preflight.check(config));
        aeadProblem(config.aead()).ifPresent(p -> problems.add(config.source() + ": culvert.aead: " + p));
        return new Result(problems.isEmpty() ? config : null, problems);
    }

    /**
     * Runs every check on {@code file}, then, if it is valid, whether {@code user} can read every file it is
     * made of: the file and its includes, the private and preshared key files, and the programs of the up and
     * down hooks (read and execute; found as {@link HookPrograms#find} finds them). A problem names the
     * command that fixes it.
     */
    static Result check(Path file, FileAccess.Account user) {
        Result result = check(file);
        if (!result.valid()) {
            return result;
        }
        CulvertConfig config = result.config();
        List<String> problems = new ArrayList<>();
        List<Path> sources;
        try {
            sources = ConfigLoader.sourceFiles(file);
        } catch (ConfigException e) {
            sources = List.of(file);
        }
        for (Path source : sources) {
            FileAccess.problem(user, source.toAbsolutePath(), FileAccess.Kind.CONFIG).ifPresent(problems::add);
        }
        FileAccess.problem(user, config.privateKeyFile().toAbsolutePath(), FileAccess.Kind.KEY)
                .ifPresent(problems::add);
        java.util.Set<Path> programs = new java.util.LinkedHashSet<>();
        for (TunnelConfig tunnel : config.tunnels().values()) {
            tunnel.peer().presharedKeyFile().ifPresent(psk -> FileAccess.problem(user, psk.toAbsolutePath(),
                    FileAccess.Kind.KEY).ifPresent(problems::add));
            for (String command : concat(tunnel.up(), tunnel.down())) {
                // Found (or its absence reported with file:line) by the config check already, for every user.
                Optional<Path> program;
                try {
                    program = HookPrograms.find(command, HookPrograms.searchPath());
                } catch (IllegalArgumentException e) {
                    continue;
                }
                if (program.isPresent() && programs.add(program.get())) {
                    FileAccess.problem(user, program.get(), FileAccess.Kind.PROGRAM).ifPresent(problems::add);
                }
            }
        }
        return new Result(problems.isEmpty() ? config : null, problems);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /**
     * Why the implementation {@code setting} (or, when it is auto, the {@value ChaCha20Poly1305Factory#PROPERTY}
     * property) forces cannot be used here, as {@code Daemon.start} would find: an unknown name or an unavailable
     * implementation. Auto needs nothing (the start-up race picks among what works).
     */
    static Optional<String> aeadProblem(String setting) {
        String value = setting == null || setting.isBlank() || setting.equalsIgnoreCase(ChaCha20Poly1305Factory.AUTO)
                ? System.getProperty(ChaCha20Poly1305Factory.PROPERTY) : setting;
        if (value == null || value.isBlank() || value.strip().equalsIgnoreCase(ChaCha20Poly1305Factory.AUTO)) {
            return Optional.empty();
        }
        try {
            ChaCha20Poly1305Factory.Implementation forced = ChaCha20Poly1305Factory.parse(value);
            return ChaCha20Poly1305Factory.unavailableReason(forced)
                    .map(reason -> value.strip() + " is unavailable here: " + reason);
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }
}
