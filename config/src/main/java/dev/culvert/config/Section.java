package dev.culvert.config;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * Typed reads of the keys of one HOCON object, with defaults from the schema, reporting every problem instead
 * of throwing.
 *
 * <p>Each read returns the value, or — when the key is wrong — records a located {@link ConfigProblem} and
 * returns {@code null} (required keys) or {@link Optional#empty()} (optional keys). Parsers are plain
 * functions that throw {@link IllegalArgumentException} with a message naming what is wrong; adding a key to
 * the schema is one entry in {@code reference.conf} and one read here.
 *
 * <p>Defaults are looked up key by key rather than merged with {@code withFallback}: HOCON marks an object
 * that replaced a plain value ({@code device = x} then {@code device { ... }}) as ignoring fallbacks.
 */
final class Section {

    private static final ConfigObject EMPTY = ConfigFactory.empty().root();

    private final ConfigObject values;
    private final ConfigObject defaults;
    private final List<String> path;
    private final Locator locator;
    private final Problems problems;

    /**
     * @param values   the operator's values, checked by {@link SchemaCheck} (no unknown keys, no nulls)
     * @param defaults the schema's values for the same object
     */
    Section(ConfigObject values, ConfigObject defaults, List<String> path, Locator locator, Problems problems) {
        this.values = values;
        this.defaults = defaults;
        this.path = List.copyOf(path);
        this.locator = locator;
        this.problems = problems;
    }

    /** The operator's values of this section, without defaults. */
    ConfigObject values() {
        return values;
    }

    /** The nested section {@code key}; the schema check guarantees that a value there is an object. */
    Section child(String key) {
        ConfigValue own = values.get(key);
        ConfigValue fallback = defaults.get(key);
        return new Section(own instanceof ConfigObject ? (ConfigObject) own : EMPTY,
                fallback instanceof ConfigObject ? (ConfigObject) fallback : EMPTY, pathTo(key), locator, problems);
    }

    /** The value of {@code key}: the operator's, else the default; null if neither or null. */
    private ConfigValue value(String key) {
        ConfigValue value = values.get(key);
        if (value == null || value.valueType() == ConfigValueType.NULL) {
            value = defaults.get(key);
        }
        return value == null || value.valueType() == ConfigValueType.NULL ? null : value;
    }

    /** The absolute key path of {@code key} in this section. */
    List<String> pathTo(String key) {
        List<String> keyPath = new ArrayList<>(path);
        keyPath.add(key);
        return keyPath;
    }

    /** True if {@code key} has a non-null value (given by the operator or a default). */
    boolean isSet(String key) {
        return value(key) != null;
    }

    /** Records a problem about {@code key}, located at it or its nearest written ancestor. */
    void problem(String key, String message) {
        problems.add(locator.problem(pathTo(key), message));
    }

    /** Records a problem about this section itself. */
    void problem(String message) {
        problems.add(locator.problem(path, message));
    }

    /** A required string; null if missing or not a string (problem recorded). */
    String string(String key) {
        if (!isSet(key)) {
            problem(key, "missing; this key is required");
            return null;
        }
        return scalarText(value(key), Locator.render(pathTo(key)), key);
    }

    /** An optional string; empty if not set, or if not a string (problem recorded). */
    Optional<String> optionalString(String key) {
        return isSet(key) ? Optional.ofNullable(string(key)) : Optional.empty();
    }

    /** A required value parsed from its text; null if missing or invalid (problem recorded). */
    <T> T parsed(String key, Function<String, T> parser) {
        String text = string(key);
        return text == null ? null : apply(parser, text, key);
    }

    /** An optional value parsed from its text; empty if not set, or if invalid (problem recorded). */
    <T> Optional<T> optionalParsed(String key, Function<String, T> parser) {
        return optionalString(key).map(text -> apply(parser, text, key));
    }

    /** One of the constants of {@code type}, written in any case; null if invalid (problem recorded). */
    <E extends Enum<E>> E oneOf(String key, Class<E> type) {
        return parsed(key, text -> {
            for (E constant : type.getEnumConstants()) {
                if (constant.name().equalsIgnoreCase(text) || constant.name().replace('_', '-').equalsIgnoreCase(text)) {
                    return constant;
                }
            }
            List<String> names = new ArrayList<>();
            for (E constant : type.getEnumConstants()) {
                names.add(constant.name().toLowerCase(Locale.ROOT).replace('_', '-'));
            }
            throw new IllegalArgumentException("must be one of " + String.join(", ", names) + " (got '" + text + "')");
        });
    }

    /** A whole number in {@code min..max}; null if not (problem recorded). */
    Integer intBetween(String key, int min, int max) {
        return parsed(key, text -> {
            long number;
            try {
                number = Long.parseLong(text.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("must be a whole number (got '" + text + "')", e);
            }
            if (number < min || number > max) {
                throw new IllegalArgumentException("must be between " + min + " and " + max + " (got " + text + ")");
            }
            return (int) number;
        });
    }

    /**
     * A duration in whole seconds, {@code 0} or {@code minSeconds..maxSeconds}. HOCON duration strings
     * ({@code 25s}, {@code 1 minute}) are accepted, and a bare number means seconds. Null if invalid.
     */
    Duration seconds(String key, long minSeconds, long maxSeconds) {
        return parsed(key, text -> {
            Duration duration = Durations.parse(text);
            long whole = duration.getSeconds();
            if (duration.getNano() != 0 || (whole != 0 && (whole < minSeconds || whole > maxSeconds))) {
                throw new IllegalArgumentException("must be 0 (off) or a whole number of seconds between "
                        + minSeconds + "s and " + maxSeconds + "s (got '" + text + "')");
            }
            return duration;
        });
    }

    /** A list whose elements are parsed from their text; null if not a list or any element is bad. */
    <T> List<T> list(String key, Function<String, T> parser) {
        if (!isSet(key)) {
            problem(key, "missing; this key is required");
            return null;
        }
        ConfigValue value = value(key);
        if (value.valueType() != ConfigValueType.LIST) {
            problem(key, "must be a list, as [\"...\", \"...\"] (got " + typeName(value) + ")");
            return null;
        }
        List<T> result = new ArrayList<>();
        boolean valid = true;
        ConfigList elements = (ConfigList) value;
        for (int i = 0; i < elements.size(); i++) {
            ConfigValue element = elements.get(i);
            String elementPath = Locator.render(pathTo(key)) + "[" + i + "]";
            String text = scalarText(element, elementPath, key);
            T parsedElement = null;
            if (text != null) {
                try {
                    parsedElement = parser.apply(text);
                } catch (IllegalArgumentException e) {
                    problems.add(locator.problem(element.origin(), elementPath, e.getMessage()));
                }
            }
            valid &= parsedElement != null;
            result.add(parsedElement);
        }
        return valid ? result : null;
    }

    private <T> T apply(Function<String, T> parser, String text, String key) {
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            problem(key, e.getMessage());
            return null;
        }
    }

    /** The text of a string, number or boolean value; null (problem recorded) for a list or an object. */
    private String scalarText(ConfigValue value, String renderedPath, String key) {
        switch (value.valueType()) {
            case STRING:
                return (String) value.unwrapped();
            case NUMBER:
            case BOOLEAN:
                return value.atKey("v").getString("v"); // keeps the number as written: 1420, not 1420.0
            default:
                problems.add(locator.problem(value.origin().lineNumber() > 0 ? value.origin() : null,
                        renderedPath, "must be a single value (got " + typeName(value) + ")"));
                return null;
        }
    }

    static String typeName(ConfigValue value) {
        return value.valueType().name().toLowerCase(Locale.ROOT);
    }
}
