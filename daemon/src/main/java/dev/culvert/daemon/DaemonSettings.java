package dev.culvert.daemon;

import dev.culvert.config.CulvertConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * What a reload does with each daemon-wide setting (every key under {@code culvert} but {@code tunnels}, as
 * reference.conf lists them): applied to the running daemon ({@code log-level}), or refused with the reason a
 * restart is needed (the rest). None is ignored: a key missing here fails {@code DaemonSettingsTest}.
 */
final class DaemonSettings {
    private DaemonSettings() {}

    /**
     * One daemon-wide setting: its key under {@code culvert}, how to read it, and why a reload cannot change it
     * (null: a reload applies it).
     */
    record Setting(String key, Function<CulvertConfig, Object> value, String needsRestartBecause) {
        boolean live() {
            return needsRestartBecause == null;
        }
    }

    private static final String SOCKET = "the socket is bound once, at start";

    /** Every daemon-wide key, in reference.conf's order. {@code private-key-file} is compared by the key it holds. */
    static final Map<String, Setting> SETTINGS = settings(
            new Setting("private-key-file", CulvertConfig::privateKeyFile,
                    "every tunnel's handshakes and sessions rest on it"),
            new Setting("listen.udp", c -> shown(c.listenUdp()), SOCKET),
            new Setting("listen.tcp", c -> shown(c.listenTcp()), SOCKET),
            new Setting("listen.vtun-legacy", c -> shown(c.listenVtunLegacy()), SOCKET),
            new Setting("log-level", CulvertConfig::logLevel, null),
            new Setting("aead", CulvertConfig::aead,
                    "the data path's ChaCha20-Poly1305 is chosen and self-tested once, at start"),
            new Setting("udp-offload", c -> c.udpOffload() ? "auto" : "off", "it is set on the UDP socket, bound once, at start"),
            new Setting("metrics.bind", c -> shown(c.metricsBind()), "the metrics server is bound once, at start"),
            new Setting("control.socket", CulvertConfig::controlSocket,
                    "this reload's own socket is made once, at start"));

    private static Map<String, Setting> settings(Setting... all) {
        Map<String, Setting> map = new LinkedHashMap<>();
        for (Setting s : all) {
            map.put(s.key(), s);
        }
        return java.util.Collections.unmodifiableMap(map);
    }

    private static Object shown(Optional<java.net.InetSocketAddress> address) {
        return address.map(Addresses::format).orElse("off");
    }

    /**
     * One daemon-wide setting that differs.
     *
     * @param needsRestartBecause null if a reload applies it
     */
    record Change(String key, Object was, Object is, String needsRestartBecause) {
        /** {@code culvert.log-level info -> debug}; the private key file by its path only (never the key). */
        String text() {
            return "culvert." + key + " " + was + " -> " + is
                    + (key.equals("private-key-file") ? " (a different key)" : "");
        }

        /** The refusal: {@code culvert.aead auto -> jdk: needs a restart (the data path's ... at start)}. */
        String refusal() {
            return text() + ": needs a restart (" + needsRestartBecause + ")";
        }
    }

    /**
     * Every {@link #SETTINGS setting} that differs between the running and a reloaded configuration. {@code sameKey}
     * tells whether {@code next}'s private key file holds the running key (read by the caller): a file that moved
     * but holds the same key is no change, one that holds another key is.
     */
    static List<Change> diff(CulvertConfig now, CulvertConfig next, boolean sameKey) {
        List<Change> changes = new ArrayList<>();
        for (Setting s : SETTINGS.values()) {
            Object was = s.value().apply(now);
            Object is = s.value().apply(next);
            boolean changed = s.key().equals("private-key-file") ? !sameKey : !Objects.equals(was, is);
            if (changed) {
                changes.add(new Change(s.key(), was, is, s.needsRestartBecause()));
            }
        }
        return changes;
    }
}
