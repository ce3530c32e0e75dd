package dev.culvert.config;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Compares the operator's tree with the schema ({@code reference.conf}) before any value is read.
 *
 * <p>Reports unknown keys (with a "did you mean" hint) and a plain value written where a block is expected,
 * and returns the tree with those keys removed, so that the typed reads that follow see only known keys of
 * the right shape and report nothing twice. A key set to {@code null} is removed too: null means "unset".
 * Keys under a map path ({@code culvert.tunnels}) are names chosen by the operator; each of their values is
 * checked against the map's template instead.
 */
final class SchemaCheck {

    private final Map<List<String>, ConfigObject> mapTemplates;
    private final Locator locator;
    private final Problems problems;

    /**
     * @param mapTemplates for each path whose keys are operator-chosen names, the schema of one entry
     */
    SchemaCheck(Map<List<String>, ConfigObject> mapTemplates, Locator locator, Problems problems) {
        this.mapTemplates = mapTemplates;
        this.locator = locator;
        this.problems = problems;
    }

    /** Checks {@code user} against {@code schema}, both at {@code path}; returns the cleaned user object. */
    ConfigObject check(ConfigObject user, ConfigObject schema, List<String> path) {
        ConfigObject cleaned = user;
        for (Map.Entry<String, ConfigValue> entry : user.entrySet()) {
            String key = entry.getKey();
            ConfigValue value = entry.getValue();
            List<String> keyPath = append(path, key);
            ConfigValue expected = schema.get(key);
            if (value.valueType() == ConfigValueType.NULL) {
                cleaned = cleaned.withoutKey(key);
            } else if (expected == null) {
                String hint = Suggestions.closest(key, schema.keySet()).map(k -> "; did you mean '" + k + "'?")
                        .orElse("");
                problems.add(locator.problem(value.origin(), keyPath, "unknown key '" + key + "'" + hint));
                cleaned = cleaned.withoutKey(key);
            } else if (expected.valueType() == ConfigValueType.OBJECT) {
                ConfigValue checked = checkBlock(value, (ConfigObject) expected, keyPath);
                cleaned = checked == null ? cleaned.withoutKey(key) : cleaned.withValue(key, checked);
            }
        }
        return cleaned;
    }

    private ConfigValue checkBlock(ConfigValue value, ConfigObject expected, List<String> keyPath) {
        if (value.valueType() != ConfigValueType.OBJECT) {
            problems.add(locator.problem(value.origin(), keyPath,
                    "must be a block { ... } (got " + Section.typeName(value) + ")"));
            return null;
        }
        ConfigObject template = mapTemplates.get(keyPath);
        if (template == null) {
            return check((ConfigObject) value, expected, keyPath);
        }
        ConfigObject entries = (ConfigObject) value;
        for (Map.Entry<String, ConfigValue> entry : ((ConfigObject) value).entrySet()) {
            ConfigValue checked = entry.getValue().valueType() == ConfigValueType.NULL
                    ? null : checkBlock(entry.getValue(), template, append(keyPath, entry.getKey()));
            entries = checked == null ? entries.withoutKey(entry.getKey()) : entries.withValue(entry.getKey(), checked);
        }
        return entries;
    }

    private static List<String> append(List<String> path, String key) {
        List<String> longer = new ArrayList<>(path);
        longer.add(key);
        return List.copyOf(longer);
    }
}
