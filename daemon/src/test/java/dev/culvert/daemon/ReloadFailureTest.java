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
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload whose new settings cannot start (issue 11, point 3), over the twins (no root; the hooks are real
 * processes): a changed tunnel runs on again with its previous settings, a new one is listed as failed and
 * retried with the persist backoff, and show, metrics, the status line and the reload's outcome say so.
 */
class ReloadFailureTest {
    private static final InetSocketAddress A = new InetSocketAddress("192.0.2.1", 51820);

    @TempDir
    Path dir;
    private final TwinPlatform host = new TwinPlatform(new MemoryNetwork(), A);
    private Daemon daemon;
    private String keyB;
    private String keyC;

    @BeforeEach
    void keys() throws Exception {
        TwinHosts.writeKey(dir.resolve("a.key"));
        keyB = TwinHosts.writeKey(dir.resolve("b.key"));
        keyC = TwinHosts.writeKey(dir.resolve("c.key"));
    }

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }


    /** t1 with {@code t1Extra} in its block; t2 (peer c) only if {@code t2Extra} is not null. */
    private CulvertConfig config(String t1Extra, String t2Extra) throws Exception {
        String t2 = t2Extra == null ? "" : """
                t2 {
                  device { name = cv-a2, address = "198.18.0.5/30" }
                  peer { public-key = "%s", allowed-ips = ["198.18.0.6/32"] }
                  %s
                }""".formatted(keyC, t2Extra);
        String text = """
                culvert {
                  private-key-file = a.key
                  listen.udp = "192.0.2.1:51820"
                  metrics.bind = off
                  control.socket = a.sock
                  tunnels {
                    t1 {
                      device { name = cv-a1, address = "198.18.0.1/30" }
                      peer { public-key = "%s", allowed-ips = ["198.18.0.2/32"] }
                      %s
                    }
                    %s
                  }
                }
                """.formatted(keyB, t1Extra, t2);
        Path file = dir.resolve("a.conf");
        Files.writeString(file, text);
        return ConfigLoader.load(file);
    }

    private Status show() throws Exception {
        return Status.fromJson(ControlClient.request(dir.resolve("a.sock"), ControlRequest.show(null)));
    }

    @Test
    void aChangedTunnelWhoseUpHookFailsRunsOnItsPreviousSettings() throws Exception {
        daemon = Daemon.start(config("", null), host);
        MemoryTunChannel before = host.devices.get("cv-a1");

        // an MTU change restarts the tunnel (a keepalive change alone would be applied in place, hooks untouched)
        ReloadOutcome outcome = daemon.reload(config("device.mtu = 1400\n up = [\"false\"]", null));

        assertThat(outcome.result()).isEqualTo(ReloadOutcome.Result.PARTLY_APPLIED);
        assertThat(outcome.tunnels()).singleElement().satisfies(t -> {
            assertThat(t.change()).isEqualTo(Change.KEPT_OLD);
            assertThat(t.reason()).contains("up");
            assertThat(t.details()).containsExactly("device.mtu 1420 -> 1400");
        });
        Tunnel t1 = daemon.tunnels().get(0);
        assertThat(t1.config().device().mtu()).isEqualTo(1420); // the previous settings
        assertThat(host.devices.get("cv-a1")).isNotSameAs(before);
        assertThat(host.devices.get("cv-a1").isOpen()).isTrue();
        Status.TunnelStatus shown = show().tunnel("t1");
        assertThat(shown.state()).isNotEqualTo("failed");
        assertThat(shown.failure()).isEqualTo(t1.failure()).contains("up");
        assertThat(daemon.statusLine()).isEqualTo("0/1 tunnels up; previous settings: t1");
        assertThat(daemon.scrapeMetrics()).contains("culvert_tunnel_start_failed{tunnel=\"t1\"} 1.0");

        // The same settings again: nothing to restart, and nothing failed any more.
        ReloadOutcome again = daemon.reload(config("", null));
        assertThat(again.result()).isEqualTo(ReloadOutcome.Result.APPLIED);
        assertThat(again.tunnels()).singleElement().extracting(ReloadOutcome.TunnelChange::change).isEqualTo(Change.UNCHANGED);
        assertThat(show().tunnel("t1").failure()).isNull();
        assertThat(daemon.scrapeMetrics()).contains("culvert_tunnel_start_failed{tunnel=\"t1\"} 0.0");
    }

    @Test
    void theOutcomeSaysWhatChangedInPlaceAndWhatForcedARestart() throws Exception {
        daemon = Daemon.start(config("", null), host);

        ReloadOutcome live = daemon.reload(config("keepalive.persistent = 10s\n persist = false", null));
        assertThat(live.tunnels()).singleElement().satisfies(t -> {
            assertThat(t.change()).isEqualTo(Change.UPDATED);
            assertThat(t.details()).containsExactly("keepalive 0s -> 10s", "persist true -> false");
        });
        ReloadOutcome restart = daemon.reload(config("keepalive.persistent = 10s\n persist = false\n"
                + " device { mtu = 1400, routes = [\"198.18.9.0/24\"] }", null));
        assertThat(restart.tunnels()).singleElement().satisfies(t -> {
            assertThat(t.change()).isEqualTo(Change.RESTARTED);
            assertThat(t.details()).containsExactly("device.mtu 1420 -> 1400", "device.routes [] -> [198.18.9.0/24]");
        });
        ReloadOutcome same = ReloadOutcome.fromJson(restart.toJson());
        assertThat(same.tunnels().get(0).details()).isEqualTo(restart.tunnels().get(0).details());
    }

    @Test
    void aNewTunnelThatCannotStartIsFailedAndRetriedWithThePersistBackoff() throws Exception {
        daemon = Daemon.start(config("", null), host);
        Path flag = dir.resolve("t2-may-start");
        long before = System.currentTimeMillis();

        ReloadOutcome outcome = daemon.reload(config("", "up = [\"test -e " + flag + "\"]"));

        assertThat(outcome.result()).isEqualTo(ReloadOutcome.Result.PARTLY_APPLIED);
        ReloadOutcome.TunnelChange t2 = outcome.tunnels().get(1);
        assertThat(outcome.tunnels().get(0).change()).isEqualTo(Change.UNCHANGED);
        assertThat(t2.change()).isEqualTo(Change.FAILED);
        assertThat(t2.retryInSeconds()).isBetween(5L, 7L);
        assertThat(t2.nextRetryMillis()).isBetween(before + t2.retryInSeconds() * 1000,
                System.currentTimeMillis() + t2.retryInSeconds() * 1000);
        Status.TunnelStatus shown = show().tunnel("t2");
        assertThat(shown.state()).isEqualTo("failed");
        assertThat(shown.failure()).isEqualTo(t2.reason());
        assertThat(shown.nextRetryEpochSecond()).isEqualTo(t2.nextRetryMillis() / 1000);
        // one number everywhere: the outcome's wait is the status line's and show's (within the second it took)
        assertThat(daemon.statusLine()).startsWith("0/2 tunnels up; failed: t2 (")
                .endsWith("; retry in " + t2.retryInSeconds() + " s)");
        assertThat(shown.retryInSeconds()).isEqualTo(t2.retryInSeconds());
        assertThat(daemon.scrapeMetrics()).contains("culvert_tunnel_start_failed{tunnel=\"t2\"} 1.0")
                .contains("culvert_tunnel_up{tunnel=\"t2\"} 0.0");
        assertThat(daemon.tunnelNames()).containsExactly("t1");

        // What stopped it is gone: the next retry (5..7.5 s after the reload) starts it.
        Files.createFile(flag);
        await().atMost(Duration.ofSeconds(20)).until(() -> daemon.tunnelNames().contains("t2"));
        assertThat(host.devices.get("cv-a2").isOpen()).isTrue();
        assertThat(show().tunnel("t2").state()).isNotEqualTo("failed");
        assertThat(show().tunnel("t2").failure()).isNull();
        assertThat(daemon.statusLine()).isEqualTo("0/2 tunnels up");
        assertThat(daemon.scrapeMetrics()).contains("culvert_tunnel_start_failed{tunnel=\"t2\"} 0.0");
    }

    @Test
    void whileARetryRunsTheTunnelIsStillShownAsFailed() throws Exception {
        daemon = Daemon.start(config("", null), host);
        // the first attempt fails at once; the retry's up hook says it runs, takes 3 s, and fails too
        Path hook = dir.resolve("up.sh");
        Files.writeString(hook, """
                #!/bin/sh
                if [ -e %1$s/first-done ]; then touch %1$s/retrying; sleep 3; fi
                touch %1$s/first-done
                exit 1
                """.formatted(dir));
        hook.toFile().setExecutable(true);
        daemon.reload(config("", "up = [\"" + hook + "\"]"));
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(dir.resolve("retrying")));

        assertThat(show().tunnels()).extracting(Status.TunnelStatus::name).containsExactly("t1", "t2");
        assertThat(show().tunnel("t2").state()).isEqualTo("failed");
        assertThat(daemon.statusLine()).contains("failed: t2 (");
        assertThat(daemon.scrapeMetrics()).contains("culvert_tunnel_start_failed{tunnel=\"t2\"} 1.0");
    }

    @Test
    void withoutPersistAFailedTunnelWaitsForTheNextReload() throws Exception {
        daemon = Daemon.start(config("", null), host);
        ReloadOutcome outcome = daemon.reload(config("", "persist = false\n up = [\"false\"]"));
        assertThat(outcome.tunnels().get(1).change()).isEqualTo(Change.FAILED);
        assertThat(outcome.tunnels().get(1).nextRetryMillis()).isZero();
        assertThat(daemon.statusLine()).startsWith("0/2 tunnels up; failed: t2 (").doesNotContain("retry in");

        ReloadOutcome fixed = daemon.reload(config("", "persist = false"));
        assertThat(fixed.result()).isEqualTo(ReloadOutcome.Result.APPLIED);
        assertThat(fixed.tunnels().get(1).change()).isEqualTo(Change.RESTARTED);
        assertThat(daemon.tunnelNames()).containsExactly("t1", "t2");
        assertThat(show().tunnels()).extracting(Status.TunnelStatus::state).doesNotContain("failed");
    }

    @Test
    void removingAFailedTunnelStopsItsRetries() throws Exception {
        daemon = Daemon.start(config("", null), host);
        daemon.reload(config("", "up = [\"false\"]"));
        assertThat(show().tunnels()).hasSize(2);
        ReloadOutcome removed = daemon.reload(config("", null));
        assertThat(removed.tunnels()).extracting(ReloadOutcome.TunnelChange::name, ReloadOutcome.TunnelChange::change)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("t1", Change.UNCHANGED),
                        org.assertj.core.groups.Tuple.tuple("t2", Change.REMOVED));
        assertThat(show().tunnels()).extracting(Status.TunnelStatus::name).containsExactly("t1");
        assertThat(daemon.statusLine()).isEqualTo("0/1 tunnels up");
    }

    @Test
    void theControlSocketsReloadRequestAnswersTheOutcome() throws Exception {
        daemon = Daemon.start(config("", null), host);
        Path socket = dir.resolve("a.sock");
        assertThat(ReloadOutcome.fromJson(ControlClient.request(socket, ControlRequest.reload())).problems())
                .containsExactly("this daemon does not reload over its control socket");
        AtomicReference<Daemon.Loaded> next = new AtomicReference<>(
                Daemon.Loaded.refused(List.of("a.conf:3: tunnels.t1.device.mut: unknown key 'mut'")));
        daemon.onReloadRequest(next::get);
        ReloadOutcome refused = ReloadOutcome.fromJson(ControlClient.request(socket, ControlRequest.reload()));
        assertThat(refused.result()).isEqualTo(ReloadOutcome.Result.REFUSED);
        assertThat(refused.problems()).containsExactly("a.conf:3: tunnels.t1.device.mut: unknown key 'mut'");
        assertThat(daemon.tunnelNames()).containsExactly("t1");

        next.set(Daemon.Loaded.of(config("", "")));
        ReloadOutcome applied = ReloadOutcome.fromJson(ControlClient.request(socket, ControlRequest.reload()));
        assertThat(applied.result()).isEqualTo(ReloadOutcome.Result.APPLIED);
        assertThat(applied.tunnels()).extracting(ReloadOutcome.TunnelChange::change)
                .containsExactly(Change.UNCHANGED, Change.ADDED);
    }
}
