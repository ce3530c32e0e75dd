package dev.culvert.daemon.control;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.util.Map;

/**
 * The control protocol's JSON, through jackson-jr: one object per line each way. Writes order-keeping
 * maps of strings, numbers, booleans, lists and maps (nulls included, so every field is always there);
 * reads an object back as an order-keeping map (whole numbers as {@link Integer}/{@link Long}).
 */
final class ControlJson {
    private static final JSON JSON_LINES = JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES)
            .with(JSON.Feature.PRESERVE_FIELD_ORDERING).without(JSON.Feature.PRETTY_PRINT_OUTPUT);

    private ControlJson() {}

    /** One line of JSON (the writer escapes control characters, so no newline can appear inside). */
    static String write(Map<String, ?> value) {
        try {
            return JSON_LINES.asString(value);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write the control answer as JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Parses one JSON object.
     *
     * @throws IllegalArgumentException "bad JSON: ..." if {@code text} is not a JSON object
     */
    static Map<String, Object> read(String text) {
        try {
            Map<String, Object> map = JSON_LINES.mapFrom(text);
            if (map == null) {
                throw new IllegalArgumentException("bad JSON: not an object: '" + text + "'");
            }
            return map;
        } catch (IOException e) {
            throw new IllegalArgumentException("bad JSON: " + firstLine(e.getMessage()), e);
        }
    }

    /**
     * Parses a daemon's answer: one JSON object, where {@code {"error": "..."}} is the daemon's refusal.
     *
     * @throws IllegalArgumentException with the daemon's message for an error answer, or "bad JSON: ..."
     */
    static Map<String, Object> readAnswer(String text) {
        Map<String, Object> map = read(text);
        if (map.containsKey("error")) {
            throw new IllegalArgumentException(String.valueOf(map.get("error")));
        }
        return map;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
