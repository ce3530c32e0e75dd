package dev.culvert.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Loads a Culvert configuration file: parse, resolve, check against the schema, read, check across tunnels.
 *
 * <p>The flow: 1. the operator's file is parsed on its own (HOCON; no classpath or system-property merge);
 * 2. substitutions are resolved against the file itself, then the environment; 3. {@link SchemaCheck} reports
 * unknown keys and misplaced blocks; 4. defaults from {@code reference.conf} are merged in and
 * {@link ModelReader} reads every value, key files included; 5. if anything at all was wrong, one
 * {@link ConfigException} lists every problem with file, line and key path.
 */
public final class ConfigLoader {

    private static final ConfigParseOptions PARSE_OPTIONS = ConfigParseOptions.defaults()
            .setSyntax(ConfigSyntax.CONF)
            .setAllowMissing(false);

    private ConfigLoader() {
    }

    /**
     * Reads and validates {@code file}. Relative key-file paths in it are relative to its directory.
     *
     * @throws ConfigException listing every problem found
     */
    public static CulvertConfig load(Path file) throws ConfigException {
        String origin = file.toString();
        if (!Files.exists(file)) {
            throw single(new ConfigProblem(origin, -1, "", "cannot read " + file + ": no such file"));
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw single(new ConfigProblem(origin, -1, "", "cannot read " + file
                    + (Files.isRegularFile(file) ? ": permission denied" : ": not a regular file")));
        }
        Config parsed;
        try {
            parsed = ConfigFactory.parseFile(file.toFile(), PARSE_OPTIONS);
        } catch (com.typesafe.config.ConfigException e) {
            throw single(fromTypesafe(e, origin));
        }
        return validate(parsed, file, origin, file.toAbsolutePath().getParent());
    }

    /**
     * Validates configuration text, as if read from a file called {@code originName} (used in messages, and
     * as the base of relative key-file paths). Key files are still read from disk.
     *
     * @throws ConfigException listing every problem found
     */
    public static CulvertConfig parse(String text, String originName) throws ConfigException {
        Config parsed;
        try {
            parsed = ConfigFactory.parseString(text, PARSE_OPTIONS.setOriginDescription(originName));
        } catch (com.typesafe.config.ConfigException e) {
            throw single(fromTypesafe(e, originName));
        }
        Path source;
        try {
            source = Path.of(originName);
        } catch (InvalidPathException e) {
            source = Path.of("culvert.conf");
        }
        return validate(parsed, source, originName, source.toAbsolutePath().getParent());
    }

    private static CulvertConfig validate(Config parsed, Path source, String origin, Path baseDir)
            throws ConfigException {
        Config resolved;
        try {
            resolved = parsed.resolve();
        } catch (com.typesafe.config.ConfigException e) {
            throw single(fromTypesafe(e, origin));
        }
        Schema schema = Schema.get();
        Problems problems = new Problems();
        Locator locator = new Locator(resolved.root(), origin);
        ConfigObject checked = new SchemaCheck(Map.of(Schema.TUNNELS_PATH, schema.tunnelTemplate()), locator, problems)
                .check(resolved.root(), schema.root(), List.of());
        Section section = new Section(checked, schema.root(), List.of(), locator, problems).child(Schema.ROOT_KEY);
        CulvertConfig config = new ModelReader(section, source, baseDir, problems)
                .read(schema.tunnelTemplate(), locator);
        problems.throwIfAny();
        return config;
    }

    /** A problem from a Typesafe Config exception, its message stripped of the origin it starts with. */
    static ConfigProblem fromTypesafe(com.typesafe.config.ConfigException e, String defaultOrigin) {
        ConfigOrigin origin = e.origin();
        String message = String.valueOf(e.getMessage());
        if (origin != null && message.startsWith(origin.description() + ": ")) {
            message = message.substring(origin.description().length() + 2);
        }
        boolean syntax = e instanceof com.typesafe.config.ConfigException.Parse
                && !(e instanceof com.typesafe.config.ConfigException.UnresolvedSubstitution);
        if (syntax) {
            message = "syntax error: " + message;
        }
        String file = origin != null && origin.filename() != null ? origin.filename() : defaultOrigin;
        return new ConfigProblem(file, origin != null ? origin.lineNumber() : -1, "", message);
    }

    private static ConfigException single(ConfigProblem problem) {
        return new ConfigException(List.of(problem));
    }
}
