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

    /** Null-checks every component. */
    public ConfigProblem {
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(keyPath, "keyPath");
        Objects.requireNonNull(message, "message");
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
