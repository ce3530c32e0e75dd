package dev.culvert.daemon.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real thing: {@link LinuxTunDevice} on a kernel tun device, in a network namespace each test
 * creates and deletes. The device lives in a child JVM ({@link TunEchoMain}) started inside the
 * namespace, so nothing here touches the host's own interfaces.
 */
class LinuxTunDeviceNetnsTest {

    private static final String DEVICE = "cvt0";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

    private Netns ns;

    @BeforeAll
    static void requireRoot() {
        RootPreconditions.require("ip", "ping");
    }

    @BeforeEach
    void createNamespace() throws Exception {
        ns = Netns.create();
    }

    @AfterEach
    void deleteNamespace() throws Exception {
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void answersPingThroughNettyEpollReadsAndWrites() throws Exception {
        ChildJvm echo = ns.startJava(TunEchoMain.class, "serve", DEVICE);
        echo.awaitLine(TunEchoMain.READY, START_TIMEOUT);

        CommandRunner.CommandResult ping = ns.exec("ping", "-c", "3", "-W", "2", TunEchoMain.PEER);

        assertThat(ping.succeeded()).as("ping output:\n%s\n%s\nchild:\n%s", ping.stdout(), ping.stderr(),
                echo.output()).isTrue();
        assertThat(ping.stdout()).contains("3 received");
        CommandRunner.CommandResult link = ns.ip("link", "show", DEVICE);
        assertThat(link.stdout()).contains("mtu " + TunEchoMain.MTU).contains("UP");
        assertThat(ns.ip("-4", "address", "show", "dev", DEVICE).stdout()).contains(TunEchoMain.ADDRESS);
    }

    @Test
    void openingANameInUseSaysSo() throws Exception {
        ChildJvm echo = ns.startJava(TunEchoMain.class, "serve", DEVICE);
        echo.awaitLine(TunEchoMain.READY, START_TIMEOUT);

        ChildJvm probe = ns.startJava(TunEchoMain.class, "probe", DEVICE, "tun");
        String line = probe.awaitLine(TunEchoMain.ERROR, START_TIMEOUT);

        assertThat(line).isEqualTo(TunEchoMain.ERROR + "device name '" + DEVICE + "' is already in use");
        assertThat(probe.awaitExit(STOP_TIMEOUT)).isEqualTo(TunEchoMain.EXIT_TUN_ERROR);
        assertThat(echo.isAlive()).as("the first owner is unaffected").isTrue();
    }

    @Test
    void opensATapDevice() throws Exception {
        ChildJvm probe = ns.startJava(TunEchoMain.class, "probe", "cvt-tap0", "tap");

        assertThat(probe.awaitLine(TunEchoMain.OPENED, START_TIMEOUT)).isEqualTo(TunEchoMain.OPENED + " cvt-tap0 TAP");
        assertThat(probe.awaitExit(STOP_TIMEOUT)).isZero();
        assertThat(ns.ip("link", "show", "cvt-tap0").succeeded()).as("closed on exit, so deleted").isFalse();
    }

    @Test
    void closeRemovesTheDeviceWhileTheProcessLivesOn() throws Exception {
        ChildJvm echo = ns.startJava(TunEchoMain.class, "serve", DEVICE);
        echo.awaitLine(TunEchoMain.READY, START_TIMEOUT);
        assertThat(ns.ip("link", "show", DEVICE).succeeded()).isTrue();

        echo.send("close");
        echo.awaitLine(TunEchoMain.CLOSED, STOP_TIMEOUT);

        awaitDeviceGone();
        assertThat(echo.hasLine(TunEchoMain.DEVICE_CLOSED)).isTrue();
        assertThat(echo.isAlive()).isTrue();
    }

    @Test
    void sigtermRemovesTheDevice() throws Exception {
        ChildJvm echo = ns.startJava(TunEchoMain.class, "serve", DEVICE);
        echo.awaitLine(TunEchoMain.READY, START_TIMEOUT);

        echo.terminate();
        echo.awaitExit(STOP_TIMEOUT);

        awaitDeviceGone();
    }

    @Test
    void deletingTheInterfaceUnderneathClosesTheDevice() throws Exception {
        ChildJvm echo = ns.startJava(TunEchoMain.class, "serve", DEVICE);
        echo.awaitLine(TunEchoMain.READY, START_TIMEOUT);

        assertThat(ns.ip("link", "delete", DEVICE).succeeded()).isTrue();

        echo.awaitLine(TunEchoMain.DEVICE_CLOSED, STOP_TIMEOUT);
        assertThat(echo.isAlive()).as("a dead device is reported, not fatal").isTrue();
    }

    private void awaitDeviceGone() {
        await("device " + DEVICE + " deleted").atMost(STOP_TIMEOUT).pollInterval(Duration.ofMillis(100))
                .until(() -> !ns.ip("link", "show", DEVICE).succeeded());
    }
}
