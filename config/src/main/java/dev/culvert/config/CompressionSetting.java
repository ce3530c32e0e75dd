package dev.culvert.config;

import java.util.Locale;

/**
 * A tunnel's {@code compression}: off, lz4, or zlib with a level (1..9, default 6). Per packet and
 * stateless; Culvert to Culvert only (it is not WireGuard), and it leaks plaintext length
 * information (VORACLE): keep it off for traffic an attacker can partly choose.
 */
public record CompressionSetting(Algorithm algorithm, int level) {
    /** The algorithms. */
    public enum Algorithm { OFF, LZ4, ZLIB }

    public static final CompressionSetting OFF = new CompressionSetting(Algorithm.OFF, 0);
    static final int DEFAULT_ZLIB_LEVEL = 6;

    public CompressionSetting {
        if (algorithm == Algorithm.ZLIB && (level < 1 || level > 9)) {
            throw new IllegalArgumentException("zlib level must be 1..9 (got " + level + ")");
        }
    }

    public boolean isOn() {
        return algorithm != Algorithm.OFF;
    }

    /** Parses "off", "lz4", "zlib", "zlib:N". */
    public static CompressionSetting parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.equals("off") || t.equals("none") || t.equals("false") || t.equals("no")) {
            return OFF;
        }
        if (t.equals("lz4")) {
            return new CompressionSetting(Algorithm.LZ4, 0);
        }
        if (t.equals("zlib")) {
            return new CompressionSetting(Algorithm.ZLIB, DEFAULT_ZLIB_LEVEL);
        }
        if (t.startsWith("zlib:")) {
            try {
                return new CompressionSetting(Algorithm.ZLIB, Integer.parseInt(t.substring(5)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("zlib level must be a number 1..9 (got '" + text + "')", e);
            }
        }
        throw new IllegalArgumentException("must be off, lz4, zlib or zlib:1..9 (got '" + text + "')");
    }

    @Override
    public String toString() {
        return switch (algorithm) {
            case OFF -> "off";
            case LZ4 -> "lz4";
            case ZLIB -> "zlib:" + level;
        };
    }
}
