package dev.culvert.config;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds a tunnel written twice: HOCON merges two {@code site-b { ... }} blocks under {@code tunnels} (in one file or
 * across includes) into one object silently, so two tunnels meant to be different became one (issue 11 item 7).
 *
 * <p>Typesafe Config keeps no list of the places a merged object came from, but the merged value's origin describes
 * them: {@code main.conf: 3-10} for two places in one file (first and last line) and
 * {@code merge of main.conf: 3,tunnels.conf: 1} across files ({@code SimpleConfigOrigin.mergeOrigins}). This reads
 * that description, on the tree as parsed (before substitutions, which may merge a template into a tunnel
 * legitimately). Any second definition of a tunnel counts, a dotted {@code tunnels.site-b.keepalive = 5s} after the
 * block included: one tunnel, one place.
 */
final class DuplicateTunnels {

    /** One place in a merged origin's description: {@code file: line} or {@code file: first-last}. */
    private static final Pattern PLACE = Pattern.compile("(.+?): (\\d+)(?:-(\\d+))?");
    private static final String MERGE_OF = "merge of ";

    private DuplicateTunnels() {
    }

    /** Adds one problem per tunnel defined in more than one place in the unresolved {@code root}. */
    static void check(ConfigObject root, Problems problems) {
        ConfigValue value = root;
        for (String key : Schema.TUNNELS_PATH) {
            if (!(value instanceof ConfigObject object) || (value = object.get(key)) == null) {
                return;
            }
        }
        if (!(value instanceof ConfigObject tunnels)) {
            return;
        }
        for (Map.Entry<String, ConfigValue> tunnel : tunnels.entrySet()) {
            List<String> places = places(tunnel.getValue().origin().description());
            if (places.size() > 1) {
                ConfigProblem first = placeProblem(places.get(0), List.of(Schema.ROOT_KEY, "tunnels", tunnel.getKey()),
                        "tunnel '" + tunnel.getKey() + "' is defined more than once (at " + String.join(" and ", places)
                                + "); HOCON would merge them into one tunnel: rename one, or write the tunnel once");
                problems.add(first);
            }
        }
    }

    /** The {@code file:line} places a value's origin description names; one place for a value written once. */
    static List<String> places(String description) {
        List<String> places = new ArrayList<>();
        boolean merged = description.startsWith(MERGE_OF);
        String[] parts = merged ? description.substring(MERGE_OF.length()).split(",") : new String[] {description};
        for (String part : parts) {
            Matcher m = PLACE.matcher(part.strip());
            if (!m.matches()) {
                places.add(part.strip());
                continue;
            }
            places.add(m.group(1) + ":" + m.group(2));
            if (m.group(3) != null && !m.group(3).equals(m.group(2))) {
                places.add(m.group(1) + ":" + m.group(3));
            }
        }
        return places;
    }

    private static ConfigProblem placeProblem(String place, List<String> path, String message) {
        int colon = place.lastIndexOf(':');
        int line = -1;
        String file = place;
        if (colon > 0) {
            try {
                line = Integer.parseInt(place.substring(colon + 1));
                file = place.substring(0, colon);
            } catch (NumberFormatException e) {
                line = -1;
            }
        }
        return new ConfigProblem(file, line, Locator.render(path), message);
    }
}
