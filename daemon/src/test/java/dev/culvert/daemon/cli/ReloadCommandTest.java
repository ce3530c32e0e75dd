package dev.culvert.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.daemon.control.ControlRequest;
import dev.culvert.daemon.control.ControlServer;
import dev.culvert.daemon.control.ReloadOutcome;
import dev.culvert.daemon.control.ReloadOutcome.Change;
import dev.culvert.daemon.control.ReloadOutcome.TunnelChange;
import dev.culvert.daemon.control.Status;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code culvert reload}: what it prints and its exit status for each outcome, against a control socket. */
class ReloadCommandTest {
    private static final long NOW = 1_700_000_000_000L;

    @Test
    void appliedPrintsEachTunnelWithWhatChangedAndExitsZero() {
        Printed p = print(ReloadOutcome.applied(List.of(TunnelChange.of("t1", Change.UNCHANGED),
                TunnelChange.of("t2", Change.RESTARTED, List.of("device.mtu 1420 -> 1500")),
                TunnelChange.of("t3", Change.ADDED),
                TunnelChange.of("t5", Change.UPDATED, List.of("keepalive 25s -> 10s", "persist true -> false")),
                TunnelChange.of("t0", Change.REMOVED))).withSettings(List.of("culvert.log-level info -> debug")));
        assertThat(p.status).isZero();
        assertThat(p.out).isEqualTo("culvert reload: applied\n  culvert.log-level info -> debug\n  t1: unchanged\n"
                + "  t2: restarted: device.mtu 1420 -> 1500\n  t3: added\n"
                + "  t5: updated in place: keepalive 25s -> 10s, persist true -> false\n  t0: removed\n");
        assertThat(p.err).isEmpty();
    }

    @Test
    void partlyAppliedSaysWhatRunsAndWhatIsRetriedAndExitsFour() {
        Printed p = print(ReloadOutcome.applied(List.of(
                TunnelChange.keptOld("t2", List.of("device.mtu 1420 -> 1400"),
                        "tunnel t2: up hook 'false' failed: exit status 1"),
                TunnelChange.failed("t3", "tunnel t3: up hook failed", NOW + 7_200, 6),
                TunnelChange.failed("t4", "tunnel t4: up hook failed", 0, 0))));
        assertThat(p.status).isEqualTo(ReloadCommand.PARTLY_APPLIED).isEqualTo(4);
        assertThat(p.out).isEqualTo("culvert reload: partly applied\n"
                + "  t2: new settings failed (device.mtu 1420 -> 1400): tunnel t2: up hook 'false' failed: exit status 1; "
                + "previous settings restored (device re-created)\n"
                // the daemon's own count (its log said "trying again in 6 s"), not this clock's
                + "  t3: failed: tunnel t3: up hook failed; next retry in 6 s\n"
                + "  t4: failed: tunnel t4: up hook failed; not retried (persist is off)\n");
    }

    @Test
    void refusedPrintsEveryProblemOnStderrAndExitsThree() {
        Printed p = print(ReloadOutcome.refused(List.of("/etc/culvert/a.conf:3: tunnels.t1.device.mut: unknown key",
                "/etc/culvert/a.conf:7: tunnels.t1.peer.public-key: not a key")));
        assertThat(p.status).isEqualTo(ReloadCommand.REFUSED).isEqualTo(3);
        assertThat(p.out).isEmpty();
        assertThat(p.err).isEqualTo("/etc/culvert/a.conf:3: tunnels.t1.device.mut: unknown key\n"
                + "/etc/culvert/a.conf:7: tunnels.t1.peer.public-key: not a key\n"
                + "culvert reload: refused; the running configuration stays\n");
    }

    @Test
    void asksTheDaemonOnItsSocketAndExitsAsTheOutcomeSays(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("a.sock");
        AtomicReference<String> request = new AtomicReference<>();
        AtomicReference<ReloadOutcome> answer = new AtomicReference<>(ReloadOutcome.refused(List.of("bad")));
        try (ControlServer server = ControlServer.start(socket, line -> {
            request.set(line);
            return answer.get().toJson();
        })) {
            assertThat(Main.execute("reload", "--socket", socket.toString())).isEqualTo(3);
            assertThat(request.get()).isEqualTo(ControlRequest.reload().toJson());
            answer.set(ReloadOutcome.applied(List.of(TunnelChange.of("t1", Change.UNCHANGED))));
            assertThat(Main.execute("reload", "-s", socket.toString())).isZero();
        }
        try (ControlServer server = ControlServer.start(socket, line -> Status.errorJson("busy"))) {
            assertThat(Main.execute("reload", "--socket", socket.toString())).isEqualTo(1);
        }
        assertThat(Main.execute("reload", "--socket", socket.toString())).as("nobody answers").isEqualTo(1);
        assertThat(Main.execute("reload", "--socket", "a", "--config", "b")).as("usage").isEqualTo(2);
    }

    private record Printed(int status, String out, String err) {}

    private static Printed print(ReloadOutcome outcome) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ReloadCommand.print(outcome, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Printed(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
