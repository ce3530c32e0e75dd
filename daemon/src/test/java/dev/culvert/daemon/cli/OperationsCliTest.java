package dev.culvert.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.culvert.daemon.Daemon;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 11: instances side by side (control sockets, metrics ports), exit statuses, the build's version. */
class OperationsCliTest {

    @Test
    void showFindsTheOnlySocketInAnInstanceDirectoryAndNamesThemAllWhenSeveral(@TempDir Path run) throws IOException {
        assertThatThrownBy(() -> ShowCommand.onlySocketIn(run)).hasMessageContaining("no running culvert found");
        Path a = Files.createDirectories(run.resolve("site-a")).resolve("control.sock");
        Files.createFile(a);
        assertThat(ShowCommand.onlySocketIn(run)).isEqualTo(a);
        Files.createFile(Files.createDirectories(run.resolve("site-b")).resolve("control.sock"));
        Files.createDirectories(run.resolve("empty"));
        assertThatThrownBy(() -> ShowCommand.onlySocketIn(run)).hasMessageContaining("several culvert daemons")
                .hasMessageContaining("site-a/control.sock, site-b/control.sock").hasMessageContaining("--config");
    }

    /**
     * A new-user test: {@code reload --config} of an invalid file with its own control socket said "cannot reach
     * the daemon" (the client validated the file to find the socket and fell back to the default path).
     */
    @Test
    void theSocketOfAnInvalidFileIsFoundLeniently(@TempDir Path dir) throws IOException {
        Path invalid = dir.resolve("site-a.conf");
        Files.writeString(invalid, "culvert { control.socket = \"sock/a.sock\", no-such-key = 1, tunnels { } }\n");
        ShowCommand.Target target = new ShowCommand.Target();
        target.config = invalid;
        assertThat(ShowCommand.findSocket(target)).isEqualTo(dir.toAbsolutePath().resolve("sock/a.sock"));
        Files.writeString(invalid, "culvert { control.socket = \"/x/y.sock\", listen.udp = ${NO_SUCH_VARIABLE_FB} }\n");
        assertThat(ShowCommand.findSocket(target)).isEqualTo(Path.of("/x/y.sock"));
        Files.writeString(invalid, "culvert { control.socket = \n");
        assertThat(ShowCommand.findSocket(target)).isEqualTo(Path.of("/run/culvert/site-a/control.sock"));
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
