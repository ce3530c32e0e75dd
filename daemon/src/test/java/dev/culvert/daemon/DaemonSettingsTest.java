package dev.culvert.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.config.ConfigLoader;
import dev.culvert.config.CulvertConfig;
import dev.culvert.daemon.control.ReloadOutcome;
import dev.culvert.protocol.testing.MemoryNetwork;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload and the daemon-wide settings (every key under {@code culvert} but {@code tunnels}): each change is
 * applied (the log level) or refused as needing a restart, never ignored while the reload says "applied".
 */
class DaemonSettingsTest {
    private static final InetSocketAddress A = new InetSocketAddress("192.0.2.1", 51820);

    /** For each daemon-wide key, a line that sets it to another value than {@link #config}'s. */
    private static final Map<String, String> OTHER_VALUE = new LinkedHashMap<>();

    static {
        OTHER_VALUE.put("private-key-file", "private-key-file = other.key");
        OTHER_VALUE.put("listen.udp", "listen.udp = \"192.0.2.1:51821\"");
        OTHER_VALUE.put("listen.tcp", "listen.tcp = \"192.0.2.1:8443\"");
        OTHER_VALUE.put("listen.vtun-legacy", "listen.vtun-legacy = \"192.0.2.1:5000\"");
        OTHER_VALUE.put("log-level", "log-level = debug");
        OTHER_VALUE.put("aead", "aead = jdk");
        OTHER_VALUE.put("udp-offload", "udp-offload = off");
        OTHER_VALUE.put("metrics.bind", "metrics.bind = \"127.0.0.1:9599\"");
        OTHER_VALUE.put("control.socket", "control.socket = b.sock");
    }

    @TempDir
    Path dir;
    private final TwinPlatform host = new TwinPlatform(new MemoryNetwork(), A);
    private Daemon daemon;
    private Level rootLevel;
    private final Map<String, Level> ownLevels = new java.util.HashMap<>();
    private String peerKey;

    @BeforeEach
    void keys() throws Exception {
        rootLevel = Logger.getLogger("").getLevel();
        for (String name : List.of("culvert", "dev.culvert", "io.netty")) {
            ownLevels.put(name, Logger.getLogger(name).getLevel());
        }
        TwinHosts.writeKey(dir.resolve("a.key"));
        peerKey = TwinHosts.writeKey(dir.resolve("other.key"));
        Files.copy(dir.resolve("a.key"), dir.resolve("same.key"), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    }

    @AfterEach
    void stop() {
        Logger.getLogger("").setLevel(rootLevel);
        ownLevels.forEach((name, level) -> Logger.getLogger(name).setLevel(level));
        if (daemon != null) {
            daemon.close();
        }
    }

    private CulvertConfig config(String extra) throws Exception {
        String text = """
                culvert {
                  private-key-file = a.key
                  listen.udp = "192.0.2.1:51820"
                  metrics.bind = off
                  control.socket = a.sock
                  %s
                  tunnels {
                    t1 {
                      device { name = cv-a1, address = "198.18.0.1/30" }
                      peer { public-key = "%s", allowed-ips = ["198.18.0.2/32"] }
                    }
                  }
                }
                """.formatted(extra, peerKey);
        Path file = dir.resolve("a.conf");
        Files.writeString(file, text);
        return ConfigLoader.load(file);
    }

    @Test
    void everyDaemonWideKeyOfReferenceConfHasItsReloadBehaviour() {
        assertThat(DaemonSettings.SETTINGS.keySet()).as("a key in reference.conf that a reload would ignore")
                .containsExactlyInAnyOrderElementsOf(ConfigLoader.daemonWideKeys());
        assertThat(OTHER_VALUE.keySet()).as("this test's values").containsExactlyInAnyOrderElementsOf(
                ConfigLoader.daemonWideKeys());
    }

    @Test
    void aChangeOfEachIsAppliedOrRefusedAsNeedingARestart() throws Exception {
        daemon = Daemon.start(config(""), host);
        for (Map.Entry<String, String> e : OTHER_VALUE.entrySet()) {
            String key = e.getKey();
            ReloadOutcome outcome = daemon.reload(config(e.getValue()));
            if (DaemonSettings.SETTINGS.get(key).live()) {
                assertThat(outcome.result()).as(key).isEqualTo(ReloadOutcome.Result.APPLIED);
                assertThat(outcome.settings()).as(key).singleElement().asString().startsWith("culvert." + key + " ");
                assertThat(daemon.reload(config("")).settings()).as(key + " back").hasSize(1);
            } else {
                assertThat(outcome.result()).as(key).isEqualTo(ReloadOutcome.Result.REFUSED);
                assertThat(outcome.problems()).as(key).singleElement().asString()
                        .startsWith(dir.resolve("a.conf") + ": culvert." + key + " ").contains(": needs a restart (");
            }
        }
        assertThat(daemon.tunnelNames()).containsExactly("t1");
    }

    /** A new-user test: the VORACLE warning came again at every reload, compression unchanged. */
    @Test
    void theCompressionWarningComesAtStartAndWhenCompressionIsNewlyOnOnly() throws Exception {
        String lz4 = "tunnels.t1.compression = lz4";
        try (LogLines log = LogLines.of("culvert")) {
            daemon = Daemon.start(config(""), host);
            daemon.reload(config(lz4));
            daemon.reload(config(lz4 + "\n tunnels.t1.keepalive.persistent = 10s"));
            daemon.reload(config(lz4));
            assertThat(log.lines()).filteredOn(l -> l.contains("VORACLE")).hasSize(1);
        }
        daemon.close();
        try (LogLines log = LogLines.of("culvert")) {
            daemon = Daemon.start(config(lz4), host);
            daemon.reload(config(lz4));
            assertThat(log.lines()).filteredOn(l -> l.contains("VORACLE")).hasSize(1);
        }
    }

    @Test
    void theLogLevelIsAppliedLiveAndTheAeadIsRefused() throws Exception {
        daemon = Daemon.start(config(""), host);

        ReloadOutcome debug = daemon.reload(config("log-level = debug"));
        assertThat(debug.result()).isEqualTo(ReloadOutcome.Result.APPLIED);
        assertThat(debug.settings()).containsExactly("culvert.log-level info -> debug");
        assertThat(Logger.getLogger("culvert").getLevel()).isEqualTo(Level.FINE);

        ReloadOutcome aead = daemon.reload(config("log-level = debug\n aead = bc"));
        assertThat(aead.result()).isEqualTo(ReloadOutcome.Result.REFUSED);
        assertThat(aead.problems()).containsExactly(dir.resolve("a.conf") + ": culvert.aead auto -> bc: needs a restart "
                + "(the data path's ChaCha20-Poly1305 is chosen and self-tested once, at start)");

        daemon.logLevelFromCommandLine("debug");
        ReloadOutcome overridden = daemon.reload(config("log-level = warn"));
        assertThat(overridden.settings()).containsExactly(
                "culvert.log-level debug -> warn (not applied: --log-level debug on the command line wins)");
        assertThat(Logger.getLogger("culvert").getLevel()).isEqualTo(Level.FINE);
    }

    @Test
    void aKeyFileThatMovedButHoldsTheSameKeyIsNoChange() throws Exception {
        daemon = Daemon.start(config(""), host);
        ReloadOutcome moved = daemon.reload(config("private-key-file = same.key"));
        assertThat(moved.result()).isEqualTo(ReloadOutcome.Result.APPLIED);
        assertThat(moved.settings()).isEmpty();
    }
}
