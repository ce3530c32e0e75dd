package dev.culvert.config;

import java.util.Objects;

/**
 * One thing wrong with a configuration, located for the operator.
 *
 * <p>Prints as {@code site-a.conf:12: culvert.tunnels.b.device.mtu: must be between 576 and 65000 (got 70000)};
 * the line is left out when unknown, and the key path when the problem is not about one key (a syntax error).
 *
 * @param origin  the file (or origin name) the problem is in
 * @param line    1-based line number, or -1 if unknown
 * @param keyPath the full HOCON key path, or "" if none
 * @param message what is wrong, and where possible how to fix it; never contains key material
 */
public record ConfigProblem(String origin, int line, String keyPath, String message) {

    /**
     * Null-checks every component, and writes control characters in them (a key or value the message quotes may
     * hold a CR or a NUL) as {@code \\uXXXX}, so that each problem prints as one line (found by ConfigLoaderFuzzTest).
     */
    public ConfigProblem {
        origin = oneLine(Objects.requireNonNull(origin, "origin"));
        keyPath = oneLine(Objects.requireNonNull(keyPath, "keyPath"));
        message = oneLine(Objects.requireNonNull(message, "message"));
    }

    private static String oneLine(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean control = Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
            if (control && out == null) {
                out = new StringBuilder(text.length() + 8).append(text, 0, i);
            }
            if (out != null) {
                if (control) {
                    out.append(String.format("\\u%04x", (int) c));
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? text : out.toString();
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder(origin);
        if (line > 0) {
            out.append(':').append(line);
        }
        out.append(": ");
        if (!keyPath.isEmpty()) {
            out.append(keyPath).append(": ");
        }
        return out.append(message).toString();
    }
}
