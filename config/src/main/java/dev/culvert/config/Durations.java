package dev.culvert.config;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Map;

/** Parses duration text the HOCON way ({@code 25s}, {@code 2 minutes}), except that a bare number means seconds. */
final class Durations {

    private static final String KEY = "d";

    private Durations() {
    }

    /** Parses {@code text}; throws {@link IllegalArgumentException} naming what is wrong. */
    static Duration parse(String text) {
        String trimmed = text.strip();
        if (!trimmed.isEmpty() && trimmed.chars().allMatch(c -> c >= '0' && c <= '9')) {
            try {
                return Duration.ofSeconds(Long.parseLong(trimmed));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' is too large", e);
            }
        }
        try {
            return ConfigFactory.parseMap(Map.of(KEY, trimmed)).getDuration(KEY);
        } catch (com.typesafe.config.ConfigException e) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (write e.g. 25s, 2m or 0)", e);
        }
    }
}
