package dev.culvert.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * A {@code transport = vtun-legacy} tunnel's {@code legacy { }} block: the settings of a vtund 3.0.4 session
 * (VTUN.md §1 "Session / default options"; vtund's {@code cfg_file.y}). Insecure by design (VTUN.md §3).
 *
 * @param session      vtund's session (host) name sent in {@code HOST: <session>}; no space or colon (VTUN.md §2.1)
 * @param passwordFile file holding the session's {@code passwd}, one word, mode 0600 (checked like a key file)
 * @param proto        the data channel: the auth's TCP connection, or UDP after the port exchange (VTUN.md §2.4)
 * @param encrypt      vtund's {@code encrypt}; {@link Cipher#NO} for none
 * @param compress     vtund's {@code compress}
 * @param keepalive    vtund's {@code keepalive}
 */
public record LegacyConfig(String session, Path passwordFile, Proto proto, Cipher encrypt, Compress compress,
                           Keepalive keepalive) {

    /** Null-checks every component. */
    public LegacyConfig {
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(passwordFile, "passwordFile");
        Objects.requireNonNull(proto, "proto");
        Objects.requireNonNull(encrypt, "encrypt");
        Objects.requireNonNull(compress, "compress");
        Objects.requireNonNull(keepalive, "keepalive");
    }

    /** vtund's {@code proto}. */
    public enum Proto {
        TCP, UDP
    }

    /**
     * vtund's {@code encrypt} values that Culvert speaks: {@code yes} in vtund is {@link #BLOWFISH128ECB}. Blowfish
     * in CBC/CFB/OFB and the 256-bit Blowfish modes are not offered: Debian's 64-bit vtund corrupts their data
     * (VTUN.md, finding 3).
     */
    public enum Cipher {
        NO, BLOWFISH128ECB, OLDBLOWFISH128ECB,
        AES128ECB, AES128CBC, AES128CFB, AES128OFB,
        AES256ECB, AES256CBC, AES256CFB, AES256OFB;

        /** The name as written in the config and in vtund.conf. */
        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * vtund's {@code compress}: {@code no}, {@code lzo:N} or {@code zlib:N} (N 1..9; {@code lzo} or {@code zlib}
     * alone is level 1, vtund's {@code yes} is zlib:1).
     *
     * @param kind  which compressor, or none
     * @param level 1..9 (0 when {@code kind} is {@link Kind#NO})
     */
    public record Compress(Kind kind, int level) {
        /** No compression. */
        public static final Compress NO = new Compress(Kind.NO, 0);

        /** The compressors. */
        public enum Kind {
            NO, LZO, ZLIB
        }

        /**
         * Parses the config text.
         *
         * @throws IllegalArgumentException naming the accepted forms
         */
        public static Compress parse(String text) {
            String t = text.strip().toLowerCase(Locale.ROOT);
            if (t.equals("no") || t.equals("false") || t.equals("off")) {
                return NO;
            }
            if (t.equals("yes") || t.equals("true")) {
                return new Compress(Kind.ZLIB, 1);
            }
            String[] parts = t.split(":", -1);
            Kind kind = parts[0].equals("lzo") ? Kind.LZO : parts[0].equals("zlib") ? Kind.ZLIB : null;
            if (kind != null && parts.length <= 2) {
                if (parts.length == 1) {
                    return new Compress(kind, 1);
                }
                if (parts[1].length() == 1 && parts[1].charAt(0) >= '1' && parts[1].charAt(0) <= '9') {
                    return new Compress(kind, parts[1].charAt(0) - '0');
                }
            }
            throw new IllegalArgumentException("must be no, lzo:1..9 or zlib:1..9, as in vtund.conf (got '" + text + "')");
        }

        @Override
        public String toString() {
            return kind == Kind.NO ? "no" : kind.name().toLowerCase(Locale.ROOT) + ":" + level;
        }
    }

    /**
     * vtund's {@code keepalive}: {@code no}, {@code yes} (30:4) or {@code I:C} — an echo request after each
     * {@code interval} of silence, the link closed after {@code count} of them unanswered (VTUN.md §2.5).
     *
     * @param interval the tick; {@link Duration#ZERO} when off
     * @param count    ticks of silence before the link is closed (0 when off)
     */
    public record Keepalive(Duration interval, int count) {
        /** Off. */
        public static final Keepalive NO = new Keepalive(Duration.ZERO, 0);
        /** vtund's {@code keepalive yes}. */
        public static final Keepalive YES = new Keepalive(Duration.ofSeconds(30), 4);

        /** True if echo keepalive is on. */
        public boolean isOn() {
            return !interval.isZero();
        }

        /**
         * Parses the config text.
         *
         * @throws IllegalArgumentException naming the accepted forms
         */
        public static Keepalive parse(String text) {
            String t = text.strip().toLowerCase(Locale.ROOT);
            switch (t) {
                case "no", "false", "off" -> {
                    return NO;
                }
                case "yes", "true", "on" -> {
                    return YES;
                }
                default -> {
                }
            }
            String[] parts = t.split(":", -1);
            if (parts.length == 2) {
                try {
                    int interval = Integer.parseInt(parts[0]);
                    int count = Integer.parseInt(parts[1]);
                    if (interval >= 1 && interval <= 3600 && count >= 1 && count <= 1000) {
                        return new Keepalive(Duration.ofSeconds(interval), count);
                    }
                } catch (NumberFormatException e) {
                    // the message below
                }
            }
            throw new IllegalArgumentException("must be yes (30:4), no, or INTERVAL:COUNT with 1..3600 seconds and "
                    + "1..1000 ticks, as in vtund.conf (got '" + text + "')");
        }

        @Override
        public String toString() {
            return isOn() ? interval.getSeconds() + ":" + count : "no";
        }
    }
}
