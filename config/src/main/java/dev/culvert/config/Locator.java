package dev.culvert.config;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import java.util.List;

/**
 * Turns a key path into a {@link ConfigProblem} that points at the operator's file.
 *
 * <p>Lines come from the operator's own parsed tree (never from the defaults merged in later): the key's own
 * line if it was written, otherwise the line of the nearest enclosing object that was, otherwise none.
 */
final class Locator {

    private final ConfigObject userRoot;
    private final String defaultOrigin;

    /**
     * @param userRoot      the operator's parsed (and resolved) tree
     * @param defaultOrigin what to call the file when an origin has no file name (text parsed from a string)
     */
    Locator(ConfigObject userRoot, String defaultOrigin) {
        this.userRoot = userRoot;
        this.defaultOrigin = defaultOrigin;
    }

    String defaultOrigin() {
        return defaultOrigin;
    }

    /** A problem about the key at {@code path}, located at that key or its nearest written ancestor. */
    ConfigProblem problem(List<String> path, String message) {
        ConfigOrigin best = null;
        ConfigValue value = userRoot;
        for (String key : path) {
            if (!(value instanceof ConfigObject)) {
                break;
            }
            value = ((ConfigObject) value).get(key);
            if (value == null) {
                break;
            }
            if (value.origin().lineNumber() > 0) {
                best = value.origin();
            }
        }
        return problem(best, path, message);
    }

    /** A problem about the key at {@code path}, located at {@code origin} (may be null: unknown). */
    ConfigProblem problem(ConfigOrigin origin, List<String> path, String message) {
        return problem(origin, render(path), message);
    }

    /** A problem about the already rendered {@code keyPath}, located at {@code origin} (may be null). */
    ConfigProblem problem(ConfigOrigin origin, String keyPath, String message) {
        String file = origin != null && origin.filename() != null ? origin.filename() : defaultOrigin;
        int line = origin != null ? origin.lineNumber() : -1;
        return new ConfigProblem(file, line, keyPath, message);
    }

    /** Renders a key path, quoting keys that need it ({@code culvert.tunnels."a.b".device}). */
    static String render(List<String> path) {
        return path.isEmpty() ? "" : ConfigUtil.joinPath(path);
    }
}
