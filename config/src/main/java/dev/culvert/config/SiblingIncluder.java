package dev.culvert.config;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigIncludeContext;
import com.typesafe.config.ConfigIncluder;
import com.typesafe.config.ConfigIncluderFile;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import java.io.File;
import java.nio.file.Path;

/**
 * Resolves {@code include "x.conf"} and {@code include file("x.conf")} relative to the directory of the file that
 * holds the include, at every depth, whatever the working directory (issue 11). Typesafe Config's own includer
 * finds a relative name next to the including file only when that file's path has a directory part: a config opened
 * as {@code main.conf} (not {@code ./main.conf}) had its includes looked up on the classpath and silently read as
 * empty; and {@code file("x")} was always relative to the working directory.
 *
 * <p>An absolute name is read as it is. {@code url(...)}, {@code classpath(...)} and a heuristic include that names
 * a URL go to Typesafe's own includer. {@code required(...)} and HOCON's rule that a missing optional include is
 * empty are unchanged (they come with the parse options Typesafe hands in).
 */
final class SiblingIncluder implements ConfigIncluder, ConfigIncluderFile {

    private final Path directory;
    private final ConfigIncluder fallback;

    /** @param directory the including file's directory; the empty path for the working directory */
    SiblingIncluder(Path directory) {
        this(directory, null);
    }

    private SiblingIncluder(Path directory, ConfigIncluder fallback) {
        this.directory = directory;
        this.fallback = fallback;
    }

    /** The includer for a file called {@code file}, as the operator wrote its path. */
    static SiblingIncluder forFile(Path file) {
        Path parent = file.getParent();
        return new SiblingIncluder(parent != null ? parent : Path.of(""));
    }

    @Override
    public ConfigIncluder withFallback(ConfigIncluder next) {
        return next == fallback ? this : new SiblingIncluder(directory, next);
    }

    @Override
    public ConfigObject include(ConfigIncludeContext context, String what) {
        if (what.contains("://") && fallback != null) {
            return fallback.include(context, what);
        }
        return read(context.parseOptions(), directory.resolve(what));
    }

    @Override
    public ConfigObject includeFile(ConfigIncludeContext context, File what) {
        return read(context.parseOptions(), directory.resolve(what.toPath()));
    }

    /** Parses {@code file} (with HOCON's extension rules when it has none), its own includes next to it. */
    private static ConfigObject read(ConfigParseOptions options, Path file) {
        return ConfigFactory.parseFileAnySyntax(file.toFile(), options.setIncluder(forFile(file))).root();
    }
}
