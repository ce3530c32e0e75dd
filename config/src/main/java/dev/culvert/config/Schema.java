package dev.culvert.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import java.util.List;

/**
 * The schema and defaults, read once from this module's {@code reference.conf}.
 *
 * <p>Only the {@code culvert} and {@code culvert-tunnel-template} roots are taken, so whatever other
 * libraries put in their own {@code reference.conf} never leaks into a Culvert config.
 *
 * @param root           an object holding only {@code culvert}, with its defaults
 * @param tunnelTemplate the keys and defaults of one tunnel
 */
record Schema(ConfigObject root, ConfigObject tunnelTemplate) {

    static final String ROOT_KEY = "culvert";
    static final String TUNNEL_TEMPLATE_KEY = "culvert-tunnel-template";
    /** The path whose keys are tunnel names, each checked against {@link #tunnelTemplate()}. */
    static final List<String> TUNNELS_PATH = List.of(ROOT_KEY, "tunnels");
    private static final String RESOURCE = "reference.conf";

    private static final Schema INSTANCE = load();

    static Schema get() {
        return INSTANCE;
    }

    private static Schema load() {
        Config reference = ConfigFactory.parseResources(Schema.class.getClassLoader(), RESOURCE,
                ConfigParseOptions.defaults().setAllowMissing(false));
        if (!reference.hasPath(ROOT_KEY) || !reference.hasPath(TUNNEL_TEMPLATE_KEY)) {
            throw new IllegalStateException(RESOURCE + " on the class path lacks " + ROOT_KEY + " or "
                    + TUNNEL_TEMPLATE_KEY + ": the culvert-config jar is damaged");
        }
        return new Schema(reference.withOnlyPath(ROOT_KEY).root(), reference.getObject(TUNNEL_TEMPLATE_KEY));
    }
}
