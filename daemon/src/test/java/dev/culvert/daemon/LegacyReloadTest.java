package dev.culvert.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.config.ConfigLoader;
import dev.culvert.config.CulvertConfig;
import dev.culvert.daemon.control.ControlClient;
import dev.culvert.daemon.control.ControlRequest;
import dev.culvert.daemon.control.ReloadOutcome;
import dev.culvert.daemon.control.ReloadOutcome.Change;
import dev.culvert.daemon.control.Status;
import dev.culvert.daemon.tun.MemoryTunChannel;
import dev.culvert.protocol.testing.MemoryNetwork;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload of {@code transport = vtun-legacy} tunnels (issue 12, new-user findings 1, 2 and 4), over the twins (no
 * root, no vtund: the clients dial a server whose name never resolves here, which is all a reload needs): the same
 * outcome, words and fallbacks as for modern tunnels.
 */
class LegacyReloadTest {
    private static final InetSocketAddress A = new InetSocketAddress("192.0.2.1", 51820);

    @TempDir
    Path dir;
    private final TwinPlatform host = new TwinPlatform(new MemoryNetwork(), A);
    private Daemon daemon;

    @BeforeEach
    void files() throws Exception {
        TwinHosts.writeKey(dir.resolve("a.key"));
        password("l1.vtun-password", "Ma&^TU");
        password("l2.vtun-password", "other");
    }

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    private void password(String file, String text) throws Exception {
        Path p = dir.resolve(file);
        Files.writeString(p, text + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
    }

    /** Legacy client l1 with {@code l1Extra} in its block; l2 only if {@code l2Extra} is not null. */
    private CulvertConfig config(String l1Extra, String l2Extra) throws Exception {
        return config(l1Extra, l2Extra, true);
    }

    /** As {@link #config(String, String)}; l2 a modern (udp) tunnel unless {@code l2Legacy}. */
    private CulvertConfig config(String l1Extra, String l2Extra, boolean l2Legacy) throws Exception {
        String l2 = l2Extra == null ? "" : !l2Legacy ? """
                l2 {
                  device { name = cv-l2, address = "198.18.0.5/30" }
                  %s
                }""".formatted(l2Extra) : """
                l2 {
                  transport = vtun-legacy
                  device { name = cv-l2, address = "198.18.0.5/30" }
                  peer { endpoint = "vtund.invalid:5000" }
                  legacy { password-file = %s }
                  %s
                }""".formatted(dir.resolve("l2.vtun-password"), l2Extra);
        String text = """
                culvert {
                  private-key-file = a.key
                  listen.udp = "192.0.2.1:51820"
                  metrics.bind = off
                  control.socket = a.sock
                  tunnels {
                    l1 {
                      transport = vtun-legacy
                      device { name = cv-l1, address = "198.18.0.1/30" }
                      peer { endpoint = "vtund.invalid:5000" }
                      legacy { password-file = %s }
                      %s
                    }
                    %s
                  }
                }
                """.formatted(dir.resolve("l1.vtun-password"), l1Extra, l2);
        Path file = dir.resolve("a.conf");
        Files.writeString(file, text);
        return ConfigLoader.load(file);
    }

    private Status.TunnelStatus shown(String name) throws Exception {
        Status status = Status.fromJson(ControlClient.request(dir.resolve("a.sock"), ControlRequest.show(null)));
        return status.tunnel(name);
    }

    @Test
    void aChangedLegacyTunnelWhoseNewSettingsFailRunsOnItsPreviousSettings() throws Exception {
        daemon = Daemon.start(config("", null), host);
        MemoryTunChannel before = host.devices.get("cv-l1");

        ReloadOutcome outcome = daemon.reload(config("legacy.encrypt = aes128cbc\n up = [\"false\"]", null));

        assertThat(outcome.result()).isEqualTo(ReloadOutcome.Result.PARTLY_APPLIED);
        assertThat(outcome.tunnels()).singleElement().satisfies(t -> {
            assertThat(t.change()).isEqualTo(Change.KEPT_OLD);
            assertThat(t.reason()).contains("up");
            assertThat(t.details()).containsExactly("legacy.encrypt no -> aes128cbc", "up hooks (0 -> 1 commands)");
        });
        assertThat(daemon.tunnelNames()).containsExactly("l1");
        assertThat(host.devices.get("cv-l1")).isNotSameAs(before);
        assertThat(host.devices.get("cv-l1").isOpen()).isTrue();
        Status.TunnelStatus l1 = shown("l1");
        assertThat(l1.state()).isNotEqualTo("failed");
        assertThat(l1.failure()).contains("up");
        assertThat(daemon.statusLine()).isEqualTo("0/1 tunnels up; previous settings: l1");

        // The previous settings again: nothing to restart, nothing failed any more.
        ReloadOutcome again = daemon.reload(config("", null));
        assertThat(again.result()).isEqualTo(ReloadOutcome.Result.APPLIED);
        assertThat(again.tunnels()).singleElement().extracting(ReloadOutcome.TunnelChange::change)
                .isEqualTo(Change.UNCHANGED);
        assertThat(shown("l1").failure()).isNull();
    }

    @Test
    void theOutcomeNamesTheSettingThatForcedTheRestartAndCountsTheUnchangedOnes() throws Exception {
        daemon = Daemon.start(config("", ""), host);
        MemoryTunChannel l2Device = host.devices.get("cv-l2");

        ReloadOutcome outcome = daemon.reload(config("legacy.keepalive = yes", ""));

        assertThat(outcome.result()).isEqualTo(ReloadOutcome.Result.APPLIED);
        assertThat(outcome.tunnels()).extracting(ReloadOutcome.TunnelChange::name).containsExactly("l1", "l2");
        assertThat(outcome.tunnels().get(0).change()).isEqualTo(Change.RESTARTED);
        assertThat(outcome.tunnels().get(0).details()).containsExactly("legacy.keepalive no -> 30:4");
        assertThat(outcome.tunnels().get(1).change()).isEqualTo(Change.UNCHANGED);
        assertThat(host.devices.get("cv-l2")).isSameAs(l2Device);
        assertThat(outcome.count(Change.UNCHANGED)).isEqualTo(1);

        ReloadOutcome removed = daemon.reload(config("legacy.keepalive = yes", null));
        assertThat(removed.tunnels()).extracting(ReloadOutcome.TunnelChange::change)
                .containsExactly(Change.UNCHANGED, Change.REMOVED);
    }

    @Test
    void aTunnelMovedToOrFromVtunLegacyIsOneRestart() throws Exception {
        String key = TwinHosts.writeKey(dir.resolve("b.key"));
        String modern = "peer { public-key = \"" + key + "\", allowed-ips = [\"198.18.0.6/32\"] }";
        daemon = Daemon.start(config("", null), host);

        ReloadOutcome toModern = daemon.reload(config("", modern, false));
        assertThat(toModern.tunnels()).extracting(ReloadOutcome.TunnelChange::change)
                .containsExactly(Change.UNCHANGED, Change.ADDED);
        ReloadOutcome toLegacy = daemon.reload(config("", ""));
        assertThat(toLegacy.tunnels()).hasSize(2);
        assertThat(toLegacy.tunnels().get(1).change()).isEqualTo(Change.RESTARTED);
        assertThat(toLegacy.tunnels().get(1).details()).contains("transport udp -> vtun-legacy");
        ReloadOutcome back = daemon.reload(config("", modern, false));
        assertThat(back.tunnels()).hasSize(2);
        assertThat(back.tunnels().get(1).change()).isEqualTo(Change.RESTARTED);
    }

    @Test
    void aNewPasswordInTheSameFileRestartsTheTunnel() throws Exception {
        daemon = Daemon.start(config("", null), host);
        MemoryTunChannel before = host.devices.get("cv-l1");

        password("l1.vtun-password", "anewone");
        ReloadOutcome outcome = daemon.reload(config("", null));

        assertThat(outcome.tunnels()).singleElement().satisfies(t -> {
            assertThat(t.change()).isEqualTo(Change.RESTARTED);
            assertThat(t.details()).containsExactly("legacy.password-file contents changed");
        });
        assertThat(host.devices.get("cv-l1")).isNotSameAs(before);
        assertThat(outcome.toJson()).doesNotContain("anewone");
    }

    @Test
    void aNewLegacyTunnelThatCannotStartIsListedFailedAndRetried() throws Exception {
        daemon = Daemon.start(config("", null), host);
        Path gate = dir.resolve("gate");
        Files.writeString(gate, "");

        Path hook = dir.resolve("up.sh");
        Files.writeString(hook, "#!/bin/sh\n! test -e " + gate + "\n");
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwx------"));
        ReloadOutcome outcome = daemon.reload(config("", "up = [\"" + hook + "\"]"));

        assertThat(outcome.result()).isEqualTo(ReloadOutcome.Result.PARTLY_APPLIED);
        ReloadOutcome.TunnelChange l2 = outcome.tunnels().get(1);
        assertThat(l2.change()).isEqualTo(Change.FAILED);
        assertThat(l2.retryInSeconds()).isPositive();
        assertThat(shown("l2").state()).isEqualTo("failed");
        assertThat(daemon.statusLine()).startsWith("0/2 tunnels up; failed: l2 (");

        Files.delete(gate);
        await().atMost(Duration.ofSeconds(20)).until(() -> !shown("l2").state().equals("failed"));
        assertThat(host.devices.get("cv-l2").isOpen()).isTrue();
    }

    @Test
    void aClientWithPersistOffStopsDiallingWhenItsConnectionEnds() throws Exception {
        daemon = Daemon.start(config("persist = false", null), host);

        await().atMost(Duration.ofSeconds(10)).until(() -> shown("l1").state().equals("failed"));
        assertThat(shown("l1").failure()).contains("persist is off");
        assertThat(daemon.statusLine()).startsWith("0/1 tunnels up; failed: l1 (");
        int lookUps = host.lookUps.getOrDefault("vtund.invalid", 0);
        assertThat(lookUps).isEqualTo(1);

        // a reload dials again
        ReloadOutcome outcome = daemon.reload(config("persist = false", null));
        assertThat(outcome.tunnels()).singleElement().satisfies(t -> {
            assertThat(t.change()).isEqualTo(Change.RESTARTED);
            assertThat(t.details()).containsExactly("its session had ended (persist off)");
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> host.lookUps.getOrDefault("vtund.invalid", 0) == 2);
    }
}
