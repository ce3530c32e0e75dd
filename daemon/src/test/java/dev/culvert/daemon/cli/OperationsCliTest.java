package dev.culvert.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.culvert.config.ConfigLoader;
import dev.culvert.daemon.Daemon;
import dev.culvert.daemon.control.ControlServer;
import dev.culvert.daemon.control.Status;
import dev.culvert.daemon.metrics.DaemonMetrics;
import dev.culvert.daemon.metrics.MetricsServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 11: instances side by side (control sockets, metrics ports), exit statuses, the build's version. */
class OperationsCliTest {

    /** A socket something listens on, as a live daemon's; close it to leave the file as a killed daemon does. */
    private static ServerSocketChannel listen(Path socket) throws IOException {
        Files.createDirectories(socket.getParent());
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        channel.bind(UnixDomainSocketAddress.of(socket));
        return channel;
    }

    @Test
    void showFindsTheOnlySocketInAnInstanceDirectoryAndNamesThemAllWhenSeveral(@TempDir Path run) throws IOException {
        List<String> notes = new ArrayList<>();
        assertThatThrownBy(() -> ShowCommand.onlySocketIn(run, notes::add)).hasMessageContaining("no running culvert found")
                .satisfies(e -> assertThat(((ShowCommand.NotChosen) e).exitStatus).isEqualTo(ExitStatus.FAILURE));
        Path a = run.resolve("site-a/control.sock");
        try (ServerSocketChannel liveA = listen(a)) {
            assertThat(ShowCommand.onlySocketIn(run, notes::add)).isEqualTo(a);
            try (ServerSocketChannel liveB = listen(run.resolve("site-b/control.sock"))) {
                Files.createDirectories(run.resolve("empty"));
                assertThatThrownBy(() -> ShowCommand.onlySocketIn(run, notes::add))
                        .hasMessageContaining("several culvert daemons")
                        .hasMessageContaining("site-a/control.sock, site-b/control.sock").hasMessageContaining("--config")
                        .satisfies(e -> assertThat(((ShowCommand.NotChosen) e).exitStatus).isEqualTo(ExitStatus.USAGE));
            }
        }
        assertThat(notes).isEmpty();
    }

    /**
     * A new-user test: after a SIGKILL, show and reload listed the dead daemon's socket file beside the live one
     * and gave up ("several culvert daemons are running", exit 1).
     */
    @Test
    void staleSocketFilesAreSkippedAndSaidSo(@TempDir Path run) throws IOException {
        listen(run.resolve("killed/control.sock")).close();
        List<String> notes = new ArrayList<>();
        assertThatThrownBy(() -> ShowCommand.onlySocketIn(run, notes::add)).hasMessageContaining("no running culvert")
                .hasMessageContaining("skipped killed/control.sock");
        Path live = run.resolve("site-a/control.sock");
        try (ServerSocketChannel a = listen(live)) {
            assertThat(ShowCommand.onlySocketIn(run, notes::add)).isEqualTo(live);
            assertThat(notes).singleElement().asString().contains("skipped killed/control.sock")
                    .contains("nothing listens");
        }
    }

    /**
     * A new-user test: {@code reload --config} of an invalid file with its own control socket said "cannot reach
     * the daemon" (the client validated the file to find the socket and fell back to the default path).
     */
    @Test
    void theSocketOfAnInvalidFileIsFoundLeniently(@TempDir Path dir) throws IOException {
        Path invalid = dir.resolve("site-a.conf");
        Files.writeString(invalid, "culvert { control.socket = \"sock/a.sock\", no-such-key = 1, tunnels { } }\n");
        assertThat(ConfigLoader.controlSocketOf(invalid)).isEqualTo(dir.toAbsolutePath().resolve("sock/a.sock"));
        Files.writeString(invalid, "culvert { control.socket = \"/x/y.sock\", listen.udp = ${NO_SUCH_VARIABLE_FB} }\n");
        assertThat(ConfigLoader.controlSocketOf(invalid)).isEqualTo(Path.of("/x/y.sock"));
        Files.writeString(invalid, "culvert { control.socket = \n");
        assertThat(ConfigLoader.controlSocketOf(invalid)).isEqualTo(Path.of("/run/culvert/site-a/control.sock"));
    }

    /** A daemon stand-in on {@code socket} whose show answer says it runs {@code config}. */
    private static ControlServer daemonRunning(Path socket, Path config) throws IOException {
        String answer = new Status("x", config.toAbsolutePath().toString(), "AAAA", 51820, List.of(), Map.of()).toJson();
        return ControlServer.start(socket, request -> answer);
    }

    /**
     * A new-user test: {@code reload --config} of a file HOCON cannot parse fell back to the default socket, where
     * another daemon (same file name, other folder) answered — and was reloaded, exit 0. The client now asks each
     * daemon which file it runs.
     */
    @Test
    void aDaemonRunningAnotherFileIsNeverChosenForConfig(@TempDir Path dir) throws IOException {
        Path mine = Files.createDirectories(dir.resolve("one")).resolve("ops-cli-test-a.conf");
        Path theirs = Files.createDirectories(dir.resolve("two")).resolve("ops-cli-test-a.conf");
        Files.writeString(theirs, "culvert {}\n");
        Path socket = dir.resolve("run/shared.sock");
        Files.writeString(mine, "culvert { control.socket = \"" + socket + "\" }\n");
        try (ControlServer other = daemonRunning(socket, theirs)) {
            assertThatThrownBy(() -> ShowCommand.socketRunning(mine, dir.resolve("run"), n -> { }))
                    .hasMessageContaining("runs " + theirs.toAbsolutePath()).hasMessageContaining("not " + mine)
                    .satisfies(e -> assertThat(((ShowCommand.NotChosen) e).exitStatus).isEqualTo(ExitStatus.USAGE));
        }
        try (ControlServer own = daemonRunning(socket, mine)) {
            assertThat(ShowCommand.socketRunning(mine, dir.resolve("run"), n -> { })).isEqualTo(socket);
        }
        assertThatThrownBy(() -> ShowCommand.socketRunning(mine, dir.resolve("run"), n -> { }))
                .hasMessageContaining("no running culvert runs " + mine)
                .satisfies(e -> assertThat(((ShowCommand.NotChosen) e).exitStatus).isEqualTo(ExitStatus.FAILURE));
        assertThatThrownBy(() -> ShowCommand.socketRunning(dir.resolve("missing.conf"), dir.resolve("run"), n -> { }))
                .hasMessageContaining("no such file")
                .satisfies(e -> assertThat(((ShowCommand.NotChosen) e).exitStatus).isEqualTo(ExitStatus.USAGE));
    }

    /**
     * A new-user test: after {@code control.socket} was changed in the file, {@code reload --config} went to the new
     * path, where nothing listens ("cannot reach", exit 1), instead of reaching the daemon, which refuses the change.
     */
    @Test
    void theDaemonRunningTheFileIsFoundWhenItsSocketSettingChanged(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("ops-cli-test-b.conf");
        Files.writeString(file, "culvert { control.socket = \"" + dir.resolve("new.sock") + "\" }\n");
        Path live = dir.resolve("run/ops-cli-test-b/control.sock");
        List<String> notes = new ArrayList<>();
        try (ControlServer daemon = daemonRunning(live, file)) {
            assertThat(ShowCommand.socketRunning(file, dir.resolve("run"), notes::add)).isEqualTo(live);
        }
        assertThat(notes).singleElement().asString().contains("names the control socket " + dir.resolve("new.sock"))
                .contains("answers on " + live);
    }

    @Test
    void startFailuresOfConfigurationOrPermissionExitWithExConfig() {
        assertThat(RunCommand.startFailureStatus(new Daemon.Conflict("port taken", null))).isEqualTo(78);
        assertThat(RunCommand.startFailureStatus(new AccessDeniedException("/etc/culvert/a.key"))).isEqualTo(78);
        assertThat(RunCommand.startFailureStatus(new IOException("device busy"))).isEqualTo(ExitStatus.FAILURE);
    }

    @Test
    void aMetricsPortInUseIsDescribedByWhatHoldsIt() throws IOException {
        try (ServerSocket other = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            InetSocketAddress held = new InetSocketAddress("127.0.0.1", other.getLocalPort());
            // Not HTTP: accepts, then says nothing (the probe's 1 s read timeout).
            assertThat(MetricsServer.describeHolder(held)).startsWith("held by another program");
            assertThatThrownBy(() -> MetricsServer.start(held, new DaemonMetrics(() -> java.util.List.of())))
                    .hasMessageContaining("cannot serve metrics on 127.0.0.1:" + other.getLocalPort());
        }
        try (DaemonMetrics metrics = new DaemonMetrics(() -> java.util.List.of());
             MetricsServer culvert = MetricsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                     metrics)) {
            assertThat(MetricsServer.describeHolder(culvert.address()))
                    .isEqualTo("held by another culvert daemon's metrics endpoint");
        }
    }

    @Test
    void theVersionLineComesFromTheBuild() {
        String props = "version=0.1.0-SNAPSHOT\ncommit=0123456789ab\n";
        assertThat(Version.line(new ByteArrayInputStream(props.getBytes(StandardCharsets.UTF_8))))
                .isEqualTo("culvert 0.1.0-SNAPSHOT (git 0123456789ab)");
        assertThat(Version.line(null)).contains("development build");
        // The Maven build writes it next to Version (build-info.sh in generate-resources).
        assertThat(Version.class.getResource(Version.RESOURCE)).as("build.properties from the build").isNotNull();
        assertThat(new Version().getVersion()[0]).matches("culvert \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(git [0-9a-f]{12}"
                + "(-dirty)?\\)|culvert \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(git unknown\\)");
    }
}
