package dev.culvert.daemon.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real thing: {@link TunChannel} on a kernel tun device, in a network namespace each test creates
 * and deletes. The channel lives in a child JVM ({@link TunChannelEchoMain}) started inside the
 * namespace, so nothing here touches the host's own interfaces.
 */
class TunChannelNetnsTest {

    private static final String NS_PREFIX = "cvtc-";
    private static final String DEVICE = "tc0";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

    private Netns ns;

    @BeforeAll
    static void requireRoot() {
        RootPreconditions.require("ip", "ping");
    }

    @BeforeEach
    void createNamespace() throws Exception {
        ns = Netns.create(NS_PREFIX);
    }

    @AfterEach
    void deleteNamespace() throws Exception {
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void answersPingThroughChannelReadsAndWritesWithTheHeadroomInPlace() throws Exception {
        ChildJvm echo = ns.startJava(TunChannelEchoMain.class, "serve", DEVICE);
        echo.awaitLine(TunChannelEchoMain.READY, START_TIMEOUT);

        CommandRunner.CommandResult ping = ns.exec("ping", "-c", "3", "-i", "0.2", "-W", "2",
                "-s", String.valueOf(TunChannelEchoMain.MTU - 28), TunChannelEchoMain.PEER);

        assertThat(ping.succeeded()).as("ping output:\n%s\n%s\nchild:\n%s", ping.stdout(), ping.stderr(),
                echo.output()).isTrue();
        assertThat(ping.stdout()).contains("3 received");
        echo.send("stats");
        String stats = echo.awaitLine(TunChannelEchoMain.STATS, STOP_TIMEOUT);
        assertThat(stats).contains("replies=3", "misplaced=0", "writeErrors=0", "oversizedReads=0");
        assertThat(ns.ip("link", "show", DEVICE).stdout()).contains("mtu " + TunChannelEchoMain.MTU).contains("UP");
    }

    @Test
    void openingANameInUseSaysSo() throws Exception {
        ChildJvm echo = ns.startJava(TunChannelEchoMain.class, "serve", DEVICE);
        echo.awaitLine(TunChannelEchoMain.READY, START_TIMEOUT);

        ChildJvm probe = ns.startJava(TunChannelEchoMain.class, "probe", DEVICE, "tun");
        String line = probe.awaitLine(TunChannelEchoMain.ERROR, START_TIMEOUT);

        assertThat(line).isEqualTo(TunChannelEchoMain.ERROR + "device name '" + DEVICE + "' is already in use");
        assertThat(probe.awaitExit(STOP_TIMEOUT)).isEqualTo(TunChannelEchoMain.EXIT_TUN_ERROR);
        assertThat(echo.isAlive()).as("the first owner is unaffected").isTrue();
    }

    @Test
    void opensATapDeviceAndClosingDeletesIt() throws Exception {
        ChildJvm probe = ns.startJava(TunChannelEchoMain.class, "probe", "tc-tap0", "tap");

        assertThat(probe.awaitLine(TunChannelEchoMain.OPENED, START_TIMEOUT))
                .isEqualTo(TunChannelEchoMain.OPENED + " tc-tap0 TAP");
        assertThat(probe.awaitExit(STOP_TIMEOUT)).isZero();
        assertThat(ns.ip("link", "show", "tc-tap0").succeeded()).as("closed, so deleted").isFalse();
    }

    @Test
    void closeRemovesTheDeviceWhileTheProcessLivesOn() throws Exception {
        ChildJvm echo = ns.startJava(TunChannelEchoMain.class, "serve", DEVICE);
        echo.awaitLine(TunChannelEchoMain.READY, START_TIMEOUT);
        assertThat(ns.ip("link", "show", DEVICE).succeeded()).isTrue();

        echo.send("close");
        echo.awaitLine(TunChannelEchoMain.CLOSED, STOP_TIMEOUT);

        awaitDeviceGone();
        assertThat(echo.hasLine(TunChannelEchoMain.CHANNEL_CLOSED)).isTrue();
        assertThat(echo.isAlive()).isTrue();
    }

    @Test
    void sigtermRemovesTheDevice() throws Exception {
        ChildJvm echo = ns.startJava(TunChannelEchoMain.class, "serve", DEVICE);
        echo.awaitLine(TunChannelEchoMain.READY, START_TIMEOUT);

        echo.terminate();
        echo.awaitExit(STOP_TIMEOUT);

        awaitDeviceGone();
    }

    @Test
    void deletingTheInterfaceUnderneathClosesTheChannel() throws Exception {
        ChildJvm echo = ns.startJava(TunChannelEchoMain.class, "serve", DEVICE);
        echo.awaitLine(TunChannelEchoMain.READY, START_TIMEOUT);

        assertThat(ns.ip("link", "delete", DEVICE).succeeded()).isTrue();

        echo.awaitLine(TunChannelEchoMain.CHANNEL_CLOSED, STOP_TIMEOUT);
        assertThat(echo.output()).contains("device '" + DEVICE + "' failed and is closed");
        assertThat(echo.isAlive()).as("a dead device is reported, not fatal").isTrue();
    }

    private void awaitDeviceGone() {
        await("device " + DEVICE + " deleted").atMost(STOP_TIMEOUT).pollInterval(Duration.ofMillis(100))
                .until(() -> !ns.ip("link", "show", DEVICE).succeeded());
    }
}
