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

        assertThat(line).startsWith(TunChannelEchoMain.ERROR + "device '" + DEVICE + "' already exists and was not "
                + "created by this Culvert");
        assertThat(probe.awaitExit(STOP_TIMEOUT)).isEqualTo(TunChannelEchoMain.EXIT_TUN_ERROR);
        assertThat(echo.isAlive()).as("the first owner is unaffected").isTrue();

        ChildJvm adopter = ns.startJava(TunChannelEchoMain.class, "probe", DEVICE, "tun", "adopt");
        assertThat(adopter.awaitLine(TunChannelEchoMain.ERROR, START_TIMEOUT)).isEqualTo(TunChannelEchoMain.ERROR
                + "cannot adopt device '" + DEVICE + "': another process has it open (another Culvert?)");
        assertThat(adopter.awaitExit(STOP_TIMEOUT)).isEqualTo(TunChannelEchoMain.EXIT_TUN_ERROR);
    }

    @Test
    void aPersistentDeviceMadeByIpTuntapIsRefusedByOpenAndLeftAsItWas() throws Exception {
        assertThat(ns.ip("tuntap", "add", "dev", "tc-p0", "mode", "tun").succeeded()).isTrue();
        assertThat(ns.ip("address", "add", "198.18.3.1/30", "dev", "tc-p0").succeeded()).isTrue();

        ChildJvm probe = ns.startJava(TunChannelEchoMain.class, "probe", "tc-p0", "tun");

        assertThat(probe.awaitLine(TunChannelEchoMain.ERROR, START_TIMEOUT)).isEqualTo(TunChannelEchoMain.ERROR
                + "device 'tc-p0' already exists and was not created by this Culvert (`ip tuntap add`, another "
                + "program or another Culvert made it): if it is a persistent tun device meant for this tunnel, set "
                + "device.existing = true to adopt it; otherwise choose another device.name, or delete it with "
                + "`ip link del tc-p0`");
        assertThat(probe.awaitExit(STOP_TIMEOUT)).isEqualTo(TunChannelEchoMain.EXIT_TUN_ERROR);
        assertThat(ns.ip("address", "show", "dev", "tc-p0").stdout()).contains("198.18.3.1/30");
    }

    @Test
    void adoptAttachesToAPersistentDeviceAndClosingLeavesIt() throws Exception {
        assertThat(ns.ip("tuntap", "add", "dev", "tc-p1", "mode", "tap").succeeded()).isTrue();

        ChildJvm probe = ns.startJava(TunChannelEchoMain.class, "probe", "tc-p1", "tap", "adopt");

        assertThat(probe.awaitLine(TunChannelEchoMain.OPENED, START_TIMEOUT))
                .isEqualTo(TunChannelEchoMain.OPENED + " tc-p1 TAP");
        assertThat(probe.awaitExit(STOP_TIMEOUT)).isZero();
        assertThat(ns.ip("link", "show", "tc-p1").succeeded()).as("adopted, so not deleted").isTrue();
    }

    @Test
    void adoptingADeviceThatDoesNotExistIsRefusedAndLeavesNothing() throws Exception {
        ChildJvm probe = ns.startJava(TunChannelEchoMain.class, "probe", "tc-none", "tun", "adopt");

        assertThat(probe.awaitLine(TunChannelEchoMain.ERROR, START_TIMEOUT)).isEqualTo(TunChannelEchoMain.ERROR
                + "device 'tc-none' does not exist, and device.existing = true only adopts an existing device: "
                + "create it (ip tuntap add dev tc-none mode tun) or set device.existing = false");
        assertThat(probe.awaitExit(STOP_TIMEOUT)).isEqualTo(TunChannelEchoMain.EXIT_TUN_ERROR);
        assertThat(ns.ip("link", "show", "tc-none").succeeded()).as("the attach's own device is gone").isFalse();
    }

    @Test
    void adoptingADeviceOfTheOtherModeSaysSo() throws Exception {
        assertThat(ns.ip("tuntap", "add", "dev", "tc-p2", "mode", "tap").succeeded()).isTrue();

        ChildJvm probe = ns.startJava(TunChannelEchoMain.class, "probe", "tc-p2", "tun", "adopt");

        assertThat(probe.awaitLine(TunChannelEchoMain.ERROR, START_TIMEOUT)).isEqualTo(TunChannelEchoMain.ERROR
                + "cannot adopt device 'tc-p2': it is not a tun device (device.mode), or it was made multi_queue");
        assertThat(probe.awaitExit(STOP_TIMEOUT)).isEqualTo(TunChannelEchoMain.EXIT_TUN_ERROR);
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
