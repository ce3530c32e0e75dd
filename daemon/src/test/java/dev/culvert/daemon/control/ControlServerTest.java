package dev.culvert.daemon.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The control socket's limits: idle clients, long requests, the JSON requests and the reload answer. */
class ControlServerTest {
    private static final ControlServer.Limits SMALL = new ControlServer.Limits(Duration.ofSeconds(30), 4, 64, 2, 2);

    @Test
    @Timeout(20)
    void clientsThatConnectAndSendNothingDoNotKeepOthersOut(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("c.sock");
        List<SocketChannel> idle = new ArrayList<>();
        try (ControlServer server = ControlServer.start(socket, r -> "{\"ok\":\"" + r + "\"}", SMALL)) {
            // Twice as many silent clients as may be reading at once, each holding its connection open.
            for (int i = 0; i < 2 * SMALL.maxReading(); i++) {
                idle.add(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
            }
            // The read timeout is 30 s: only giving way to newcomers can let this through in time.
            assertThat(ControlClient.request(socket, "show")).isEqualTo("{\"ok\":\"show\"}");
            // The oldest silent ones were closed for newcomers: they read end-of-stream.
            assertThat(readAll(idle.get(0))).isEmpty();
        } finally {
            for (SocketChannel c : idle) {
                c.close();
            }
        }
    }

    @Test
    @Timeout(20)
    void aClientThatSendsNothingIsClosedAfterTheReadTimeout(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("c.sock");
        ControlServer.Limits quick = new ControlServer.Limits(Duration.ofMillis(300), 4, 64, 2, 2);
        try (ControlServer server = ControlServer.start(socket, r -> "{}", quick);
             SocketChannel silent = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            long t0 = System.nanoTime();
            assertThat(readAll(silent)).isEqualTo("{\"error\":\"no request within 300 ms\"}");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(250L, 10_000L);
        }
    }

    @Test
    @Timeout(20)
    void aTooLongRequestIsRefused(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("c.sock");
        List<String> seen = new ArrayList<>();
        try (ControlServer server = ControlServer.start(socket, r -> {
            seen.add(r);
            return "{}";
        }, SMALL)) {
            String answer = ControlClient.request(socket, "show " + "x".repeat(200));
            assertThat(answer).isEqualTo("{\"error\":\"request longer than 64 bytes\"}");
            assertThat(seen).isEmpty();
            assertThat(ControlClient.request(socket, "show")).isEqualTo("{}");
        }
    }

    @Test
    @Timeout(20)
    void aSlowAnswerDoesNotHoldUpTheReading(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("c.sock");
        CompletableFuture<Void> release = new CompletableFuture<>();
        try (ControlServer server = ControlServer.start(socket, r -> {
            if (r.equals("reload")) {
                release.join();
                return "{\"reload\":\"applied\"}";
            }
            return "{}";
        }, SMALL)) {
            CompletableFuture<String> reload = CompletableFuture.supplyAsync(() -> {
                try {
                    return ControlClient.request(socket, "reload");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(ControlClient.request(socket, "show")).isEqualTo("{}");
            assertThat(reload).isNotDone();
            release.complete(null);
            assertThat(reload.get(10, TimeUnit.SECONDS)).isEqualTo("{\"reload\":\"applied\"}");
        }
    }

    /** SECURITY.md, "The control socket": only the owner may connect; the directory it creates is not writable by others. */
    @Test
    void theSocketIsOwnerOnlyAndTheDirectoryItCreatesIsNotWritableByOthers(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("run/site-a/control.sock");
        try (ControlServer server = ControlServer.start(socket, request -> "{}")) {
            assertThat(java.nio.file.Files.getPosixFilePermissions(socket))
                    .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            assertThat(java.nio.file.Files.getPosixFilePermissions(socket.getParent()))
                    .contains(java.nio.file.attribute.PosixFilePermission.OWNER_WRITE)
                    .doesNotContain(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE,
                            java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE);
        }
    }

    @Test
    void theDefaultLimitsAreTheDocumentedOnes() {
        assertThat(ControlServer.Limits.DEFAULT)
                .isEqualTo(new ControlServer.Limits(Duration.ofSeconds(2), 32, 1024, 4, 16)); // SECURITY.md's numbers
    }

    /** A new-user test: a clean stop outside systemd left the empty instance directory /run/culvert/NAME/. */
    @Test
    void closingRemovesTheDirectoryItCreatedButNotOneThatExisted(@TempDir Path dir) throws Exception {
        Path made = dir.resolve("run/site-a/control.sock");
        ControlServer.start(made, request -> "{}").close();
        assertThat(made.getParent()).doesNotExist();
        assertThat(dir.resolve("run")).isDirectory();

        Path existing = dir.resolve("kept.sock");
        ControlServer.start(existing, request -> "{}").close();
        assertThat(existing).doesNotExist();
        assertThat(dir).isDirectory();
    }

    @Test
    void requestsAreJsonAndTheOldWordsStillWork() {
        assertThat(ControlRequest.show(null).toJson()).isEqualTo("{\"request\":\"show\"}");
        assertThat(ControlRequest.show("t \"1\"").toJson()).isEqualTo("{\"request\":\"show\",\"tunnel\":\"t \\\"1\\\"\"}");
        assertThat(ControlRequest.parse(ControlRequest.show("t \"1\"").toJson())).isEqualTo(ControlRequest.show("t \"1\""));
        assertThat(ControlRequest.parse("show t1")).isEqualTo(ControlRequest.show("t1"));
        assertThat(ControlRequest.parse("reload")).isEqualTo(ControlRequest.reload());
        assertThat(ControlRequest.parse("{\"request\":\"reload\"}")).isEqualTo(ControlRequest.reload());
        assertThatThrownBy(() -> ControlRequest.parse("dump keys")).hasMessageContaining("unknown request");
        assertThatThrownBy(() -> ControlRequest.parse("{\"request\":7}")).hasMessageContaining("unknown request");
        assertThatThrownBy(() -> ControlRequest.parse("{\"request\":")).hasMessageContaining("bad JSON");
    }

    @Test
    void reloadOutcomesRoundTrip() {
        ReloadOutcome applied = ReloadOutcome.applied(List.of(
                ReloadOutcome.TunnelChange.of("t1", ReloadOutcome.Change.UNCHANGED),
                ReloadOutcome.TunnelChange.keptOld("t2", List.of("device.mtu 1420 -> 1400"), "up hook failed: exit 1"),
                ReloadOutcome.TunnelChange.failed("t3", "up hook failed: exit 1", 1_700_000_004_000L, 6),
                ReloadOutcome.TunnelChange.of("t4", ReloadOutcome.Change.UPDATED, List.of("keepalive 25s -> 10s",
                        "persist true -> false")))).withSettings(List.of("culvert.log-level info -> debug"));
        assertThat(applied.result()).isEqualTo(ReloadOutcome.Result.PARTLY_APPLIED);
        assertThat(applied.toJson()).contains("\"settings\":[\"culvert.log-level info -> debug\"]")
                .contains("\"changes\":[\"keepalive 25s -> 10s\",\"persist true -> false\"]")
                .contains("\"retry_in\":6");
        assertThat(ReloadOutcome.fromJson(applied.toJson())).isEqualTo(applied);
        ReloadOutcome refused = ReloadOutcome.refused(List.of("/etc/culvert/a.conf:3: tunnels.t1.device.mut: unknown key"));
        assertThat(refused.toJson()).startsWith("{\"version\":1,\"reload\":\"refused\",\"problems\":[\"/etc/");
        assertThat(ReloadOutcome.fromJson(refused.toJson())).isEqualTo(refused);
        assertThatThrownBy(() -> ReloadOutcome.fromJson(Status.errorJson("busy"))).hasMessage("busy");
    }

    private static String readAll(SocketChannel channel) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(4096);
        while (channel.read(buf) >= 0) {
            out.write(buf.array(), 0, buf.position());
            buf.clear();
        }
        return out.toString(StandardCharsets.UTF_8).strip();
    }
}
