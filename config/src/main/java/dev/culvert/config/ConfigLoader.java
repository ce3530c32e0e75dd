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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads a Culvert configuration file: parse, resolve, check against the schema, read, check across tunnels.
 *
 * <p>The flow: 1. the operator's file is parsed on its own (HOCON; no classpath or system-property merge; includes
 * next to the including file), and a tunnel setting written twice in one file is found ({@link DuplicateTunnels});
 * 2. substitutions are resolved against the file itself, then the environment; 3. {@link SchemaCheck} reports
 * unknown keys and misplaced blocks; 4. defaults from {@code reference.conf} are merged in and
 * {@link ModelReader} reads every value, key files included; 5. if anything at all was wrong, one
 * {@link ConfigException} lists every problem with file, line and key path.
 */
public final class ConfigLoader {

    private static final ConfigParseOptions PARSE_OPTIONS = ConfigParseOptions.defaults()
            .setSyntax(ConfigSyntax.CONF)
            .setAllowMissing(false);

    /**
     * A key setting ({@code public-key}, {@code preshared-key}, ...) given an unquoted base64 value: HOCON
     * refuses {@code +} and {@code =} in unquoted strings and reads {@code //} as a comment.
     */
    private static final Pattern UNQUOTED_KEY = Pattern.compile(
            "(?<![\\w\"-])\"?([a-z0-9-]*key)\"?\\s*[=:]\\s*[A-Za-z0-9+/]*[+/=][A-Za-z0-9+/=]*\\s*(?=[,}\\]#]|$)");

    private ConfigLoader() {
    }

    /**
     * The daemon-wide keys: every setting under {@code culvert} but {@code tunnels}, as dotted paths below
     * {@code culvert} ({@code private-key-file}, {@code listen.udp}, ...), sorted. What a
     * reload does with each is the daemon's to say; a key added to reference.conf shows up here.
     */
    public static List<String> daemonWideKeys() {
        List<String> keys = new java.util.ArrayList<>();
        collectKeys((ConfigObject) Schema.get().root().get(Schema.ROOT_KEY), "", keys);
        keys.sort(null);
        return keys;
    }

    private static void collectKeys(ConfigObject object, String prefix, List<String> keys) {
        for (String key : object.keySet()) {
            String path = prefix + key;
            if (path.equals(Schema.TUNNELS_PATH.get(1))) {
                continue;
            }
            if (object.get(key) instanceof ConfigObject child) {
                collectKeys(child, path + ".", keys);
            } else {
                keys.add(path);
            }
        }
    }

    /**
     * Reads and validates {@code file}. Relative key-file paths and includes in it are relative to its directory
     * (an include's own includes to the included file's: {@link SiblingIncluder}).
     *
     * @throws ConfigException listing every problem found
     */
    public static CulvertConfig load(Path file) throws ConfigException {
        try {
            return loadFile(file);
        } catch (StackOverflowError e) {
            throw single(tooDeep(file.toString()));
        }
    }

    private static CulvertConfig loadFile(Path file) throws ConfigException {
        String origin = file.toString();
        if (!Files.exists(file)) {
            throw single(new ConfigProblem(origin, -1, "", "cannot read " + file + ": no such file"));
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw single(new ConfigProblem(origin, -1, "", "cannot read " + file
                    + (Files.isRegularFile(file) ? ": permission denied" : ": not a regular file")));
        }
        rejectUnquotedKeys(readQuietly(file), origin);
        Config parsed;
        try {
            parsed = parseFile(file);
        } catch (com.typesafe.config.ConfigException e) {
            throw single(fromTypesafe(e, origin, readQuietly(file)));
        }
        return validate(parsed, readQuietly(file), file, origin, file.toAbsolutePath().getParent());
    }

    /** The operator's file as HOCON, on its own: no classpath or system-property merge, includes next to it. */
    private static Config parseFile(Path file) {
        return ConfigFactory.parseFile(file.toFile(), PARSE_OPTIONS.setIncluder(SiblingIncluder.forFile(file)));
    }

    /**
     * The control socket a daemon running {@code file} serves, found leniently for {@code culvert show/reload
     * --config}: the raw {@code culvert.control.socket} value (relative to the file's directory) if the file parses
     * as HOCON at all, whatever else is wrong in it, else {@link CulvertConfig#defaultControlSocket}. A daemon
     * asked to reload an invalid file refuses with its problems, and the client must reach it to print them.
     */
    public static Path controlSocketOf(Path file) {
        try {
            Config parsed = parseFile(file);
            Config resolved;
            try {
                resolved = parsed.resolve();
            } catch (com.typesafe.config.ConfigException e) {
                resolved = parsed.resolve(com.typesafe.config.ConfigResolveOptions.defaults().setAllowUnresolved(true));
            }
            String key = Schema.ROOT_KEY + ".control.socket";
            if (resolved.hasPath(key) && resolved.getValue(key).valueType() == com.typesafe.config.ConfigValueType.STRING) {
                return Values.path(resolved.getString(key), file.toAbsolutePath().getParent());
            }
        } catch (com.typesafe.config.ConfigException | IllegalArgumentException e) {
            // Not HOCON, or no usable value: the default needs only the file name.
        }
        return CulvertConfig.defaultControlSocket(file);
    }

    /**
     * The files {@code file} is made of: itself and every file it includes (directly or not) that gives at
     * least one value, in the order they are met. Parsed as {@link #load} parses it; for checking who may read
     * them ({@code culvert check-config --user}), so call it on a file that {@link #load} accepted.
     *
     * @throws ConfigException if the file cannot be parsed
     */
    public static List<Path> sourceFiles(Path file) throws ConfigException {
        Config parsed;
        try {
            parsed = parseFile(file);
        } catch (com.typesafe.config.ConfigException e) {
            throw single(fromTypesafe(e, file.toString(), readQuietly(file)));
        }
        java.util.Set<Path> files = new java.util.LinkedHashSet<>();
        files.add(file);
        collectOrigins(parsed.root(), files);
        return List.copyOf(files);
    }

    /**
     * What HOCON merged across files: one line per tunnel and later file that extends or overrides it, e.g.
     * {@code tunnel 't1': settings at b.conf:3 override a.conf:10 (keepalive.persistent)}; empty when every tunnel
     * is written in one file. Informational, for {@code culvert check-config}: a tunnel written twice in one file
     * is an error of {@link #load} instead. Call it on a file that {@link #load} accepted; never throws.
     */
    public static List<String> overrides(Path file) {
        String text = readQuietly(file);
        return text == null ? List.of() : DuplicateTunnels.overrides(text, file.toString(), file);
    }

    private static void collectOrigins(com.typesafe.config.ConfigValue value, java.util.Set<Path> files) {
        if (value instanceof ConfigObject object) {
            // An object's origin may be a merge ("merge of a.conf: 2,b.conf: 1"): only leaves name one file.
            object.values().forEach(v -> collectOrigins(v, files));
        } else if (value instanceof com.typesafe.config.ConfigList list) {
            list.forEach(v -> collectOrigins(v, files));
        } else {
            ConfigOrigin origin = value.origin();
            if (origin != null && origin.filename() != null) {
                files.add(Path.of(origin.filename()));
            }
        }
    }

    /**
     * Validates configuration text, as if read from a file called {@code originName} (used in messages, and
     * as the base of relative key-file paths and includes). Key and included files are still read from disk.
     *
     * @throws ConfigException listing every problem found
     */
    public static CulvertConfig parse(String text, String originName) throws ConfigException {
        try {
            return parseText(text, originName);
        } catch (StackOverflowError e) {
            throw single(tooDeep(originName));
        }
    }

    /**
     * Typesafe Config parses and resolves recursively: text nested a few thousand levels deep ({@code [[[[…},
     * {@code {a{a{a…}) exhausts the thread's stack. That is a problem with the file, not a crash (found by
     * ConfigLoaderFuzzTest; the limit depends on the stack size, about 1000 levels with the default 1 MiB).
     */
    private static ConfigProblem tooDeep(String origin) {
        return new ConfigProblem(origin, -1, "", "nested too deeply to read (objects, lists or includes inside each "
                + "other thousands of levels deep)");
    }

    private static CulvertConfig parseText(String text, String originName) throws ConfigException {
        rejectUnquotedKeys(text, originName);
        Path source;
        try {
            source = Path.of(originName);
        } catch (InvalidPathException e) {
            source = Path.of("culvert.conf");
        }
        Config parsed;
        try {
            parsed = ConfigFactory.parseString(text, PARSE_OPTIONS.setOriginDescription(originName)
                    .setIncluder(SiblingIncluder.forFile(source)));
        } catch (com.typesafe.config.ConfigException e) {
            throw single(fromTypesafe(e, originName, text));
        }
        return validate(parsed, text, source, originName, source.toAbsolutePath().getParent());
    }

    private static CulvertConfig validate(Config parsed, String text, Path source, String origin, Path baseDir)
            throws ConfigException {
        Problems problems = new Problems();
        if (text != null) {
            DuplicateTunnels.check(text, origin, source, problems);
        }
        Config resolved;
        try {
            resolved = parsed.resolve();
        } catch (com.typesafe.config.ConfigException e) {
            problems.add(fromTypesafe(e, origin));
            problems.throwIfAny();
            throw new AssertionError("unreachable");
        }
        Schema schema = Schema.get();
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
        return fromTypesafe(e, defaultOrigin, null);
    }

    /**
     * As {@link #fromTypesafe(com.typesafe.config.ConfigException, String)}; when {@code text} (the parsed
     * source, or null) shows an unquoted base64 key on the line of a syntax error, the message ends with a
     * hint to quote it (issue 13: Typesafe's own message speaks only of {@code '+'}).
     */
    static ConfigProblem fromTypesafe(com.typesafe.config.ConfigException e, String defaultOrigin, String text) {
        ConfigOrigin origin = e.origin();
        String message = String.valueOf(e.getMessage());
        if (origin != null && message.startsWith(origin.description() + ": ")) {
            message = message.substring(origin.description().length() + 2);
        }
        boolean syntax = e instanceof com.typesafe.config.ConfigException.Parse
                && !(e instanceof com.typesafe.config.ConfigException.UnresolvedSubstitution);
        int line = origin != null ? origin.lineNumber() : -1;
        if (syntax) {
            message = "syntax error: " + message;
            String hint = origin != null ? unquotedKeyHint(text, line) : null;
            if (hint != null) {
                message = message + "; " + hint;
            }
        }
        String file = origin != null && origin.filename() != null ? origin.filename() : defaultOrigin;
        return new ConfigProblem(file, line, "", message);
    }

    /**
     * Refuses a base64 key written without quotes before HOCON reads it (issue 13): HOCON refuses {@code +} and
     * {@code =} there with a message about {@code '+'}, and reads {@code //} as a comment, so the key is cut short
     * or the error surfaces lines later; either way the key's line is the one to name. The value is not echoed.
     */
    private static void rejectUnquotedKeys(String text, String origin) throws ConfigException {
        int line = firstUnquotedKeyLine(text);
        if (line > 0) {
            throw single(new ConfigProblem(origin, line, "", "syntax error: " + unquotedKeyHint(text, line)));
        }
    }

    /** The 1-based number of the first line of {@code text} (not a comment) with an unquoted base64 key, or -1. */
    static int firstUnquotedKeyLine(String text) {
        if (text == null) {
            return -1;
        }
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String trimmed = lines.get(i).strip();
            if (!trimmed.startsWith("#") && !trimmed.startsWith("//") && UNQUOTED_KEY.matcher(lines.get(i)).find()) {
                return i + 1;
            }
        }
        return -1;
    }

    /** The quoting hint for an unquoted base64 key on 1-based {@code line} of {@code text}, or null. */
    static String unquotedKeyHint(String text, int line) {
        if (text == null || line < 1) {
            return null;
        }
        String source = text.lines().skip(line - 1).findFirst().orElse(null);
        if (source == null) {
            return null;
        }
        Matcher m = UNQUOTED_KEY.matcher(source);
        if (!m.find()) {
            return null;
        }
        String name = m.group(1);
        // The value is not echoed: it may be a private key, and secrets never reach logs.
        return name + ": base64 keys must be quoted, e.g. " + name + " = \"…\"";
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    private static ConfigException single(ConfigProblem problem) {
        return new ConfigException(List.of(problem));
    }
}
