package dev.culvert.daemon;

import static dev.culvert.daemon.TwinPackets.ipv4;
import static dev.culvert.daemon.TwinPackets.take;

import dev.culvert.config.ConfigLoader;
import dev.culvert.config.CulvertConfig;
import dev.culvert.daemon.tun.MemoryTunChannel;
import dev.culvert.protocol.Counters;
import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.Peer;
import dev.culvert.protocol.testing.MemoryNetwork;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 11 item 8, "reload changes what changed", over the twins: a reload that changes a tunnel's keepalive,
 * persist, allowed IPs, compression, MSS clamping, hooks or endpoint applies it to the live tunnel: the same
 * device object (on a real host, the same ifindex), the same peer with its counters and its session (no new
 * handshake), traffic flowing before and after. A change of the device's identity still re-creates it.
 */
class LiveReloadTest {
    private static final InetSocketAddress A = new InetSocketAddress("192.0.2.1", 51820);
    private static final InetSocketAddress B = new InetSocketAddress("192.0.2.2", 51820);
    private static final InetSocketAddress C = new InetSocketAddress("192.0.2.3", 51820);

    @TempDir
    Path dir;
    private final MemoryNetwork network = new MemoryNetwork();
    private final TwinPlatform hostA = new TwinPlatform(network, A);
    private final TwinPlatform hostB = new TwinPlatform(network, B);
    private final TwinPlatform hostC = new TwinPlatform(network, C);
    private final List<Daemon> running = new ArrayList<>();
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final java.util.logging.Logger culvertLog = java.util.logging.Logger.getLogger("culvert");
    private final java.util.logging.Handler capture = new java.util.logging.Handler() {
        private final java.util.logging.SimpleFormatter formatter = new java.util.logging.SimpleFormatter();

        @Override
        public void publish(java.util.logging.LogRecord record) {
            log.add(formatter.formatMessage(record));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private String keyA;
    private String keyB;

    @BeforeEach
    void keys() throws Exception {
        keyA = TwinHosts.writeKey(dir.resolve("a.key"));
        keyB = TwinHosts.writeKey(dir.resolve("b.key"));
        culvertLog.addHandler(capture);
    }

    @AfterEach
    void stop() {
        running.forEach(Daemon::close);
        culvertLog.removeHandler(capture);
    }


    /** Site a, the server, listening at {@code listen}; {@code extra} goes into its tunnel t1. */
    private String siteA(String listen, String extra) {
        return """
                culvert {
                  private-key-file = a.key
                  listen.udp = "%s"
                  metrics.bind = off
                  control.socket = a-%s.sock
                  tunnels {
                    t1 {
                      device { name = cv-a1, address = "198.18.0.1/30" }
                      peer { public-key = "%s", allowed-ips = [%s] }
                      %s
                    }
                  }
                }
                """.formatted(listen, listen.replaceAll("[^0-9]", ""), keyB,
                extra.contains("allowed-ips") ? extra.replaceAll("(?s).*allowed-ips = \\[([^]]*)].*", "$1")
                        : "\"198.18.0.2/32\"",
                extra.replaceAll("allowed-ips = \\[[^]]*]", ""));
    }

    private String siteB(String endpoint, String extra) {
        return """
                culvert {
                  private-key-file = b.key
                  metrics.bind = off
                  control.socket = b.sock
                  tunnels {
                    t1 {
                      device { name = cv-b1, address = "198.18.0.2/30" }
                      peer { public-key = "%s", endpoint = "%s", allowed-ips = ["198.18.0.0/16"] }
                      %s
                    }
                  }
                }
                """.formatted(keyA, endpoint, extra);
    }

    private CulvertConfig config(String name, String text) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return ConfigLoader.load(file);
    }

    private Daemon start(String name, String text, TwinPlatform host) throws Exception {
        Daemon daemon = Daemon.start(config(name, text), host);
        running.add(daemon);
        return daemon;
    }

    private static Tunnel t1(Daemon daemon) {
        return daemon.tunnels().stream().filter(t -> t.name().equals("t1")).findFirst().orElseThrow();
    }



    /** Both up, with a packet each way; returns site a. */
    private Daemon[] upWithTraffic(String extraA, String extraB) throws Exception {
        Daemon a = start("a.conf", siteA("192.0.2.1:51820", extraA), hostA);
        Daemon b = start("b.conf", siteB("192.0.2.1:51820", extraB), hostB);
        hostB.devices.get("cv-b1").inject(ipv4(2, 1, 84, 1));
        await().atMost(15, TimeUnit.SECONDS).until(() -> t1(a).state() == Peer.State.UP && t1(b).state() == Peer.State.UP);
        roundTrip(1);
        return new Daemon[] {a, b};
    }

    private static void discardWritten(MemoryTunChannel device) {
        for (ByteBuf packet; (packet = device.written().poll()) != null; ) {
            packet.release();
        }
    }

    private void roundTrip(int seed) throws InterruptedException {
        MemoryTunChannel devA = hostA.devices.get("cv-a1");
        MemoryTunChannel devB = hostB.devices.get("cv-b1");
        discardWritten(devA); // the test owns written packets: released, not just dropped (a leak otherwise)
        discardWritten(devB);
        byte[] out = ipv4(2, 1, 300, seed);
        devB.inject(out);
        assertThat(take(devA)).isEqualTo(out);
        byte[] back = ipv4(1, 2, 300, ~seed);
        devA.inject(back);
        assertThat(take(devB)).isEqualTo(back);
    }

    /** What must not change across an in-place reload, taken before it. */
    private record Before(Tunnel tunnel, MemoryTunChannel device, Peer.State state, long lastHandshake,
                          long handshakesSent, long handshakesCompleted, long rxPackets) {
        static Before of(Daemon d, MemoryTunChannel device) {
            Tunnel t = t1(d);
            Counters c = t.counters();
            return new Before(t, device, t.state(), t.lastHandshakeEpochMillis(), c.get(Counters.Kind.HANDSHAKES_SENT),
                    c.get(Counters.Kind.HANDSHAKES_COMPLETED), c.get(Counters.Kind.RX_PACKETS));
        }

        void assertKept(Daemon d, TwinPlatform host, String device) {
            Tunnel t = t1(d);
            assertThat(t).as("the tunnel object").isSameAs(tunnel);
            assertThat(host.devices.get(device)).as("the device").isSameAs(this.device);
            assertThat(this.device.isOpen()).isTrue();
            Counters c = t.counters();
            assertThat(c.get(Counters.Kind.RX_PACKETS)).as("counters carry on").isGreaterThan(rxPackets);
            assertThat(c.get(Counters.Kind.HANDSHAKES_SENT)).as("no new handshake sent").isEqualTo(handshakesSent);
            assertThat(c.get(Counters.Kind.HANDSHAKES_COMPLETED)).as("no new session").isEqualTo(handshakesCompleted);
            assertThat(t.lastHandshakeEpochMillis()).as("the same session").isEqualTo(lastHandshake);
            assertThat(t.state()).isEqualTo(state);
        }
    }

    /** Reloads a with {@code extraA}; checks the tunnel was changed in place, logging {@code expected}. */
    private Daemon reloadInPlace(String initialA, String extraA, String expected) throws Exception {
        Daemon[] ab = upWithTraffic(initialA, "");
        Daemon a = ab[0];
        Before beforeA = Before.of(a, hostA.devices.get("cv-a1"));
        Before beforeB = Before.of(ab[1], hostB.devices.get("cv-b1"));
        a.reload(config("a.conf", siteA("192.0.2.1:51820", extraA)));
        assertThat(log).contains("tunnel t1: reloaded in place: " + expected)
                .contains("reloaded: 0 unchanged, 1 changed in place, 0 restarted, 0 added, 0 removed");
        roundTrip(7);
        beforeA.assertKept(a, hostA, "cv-a1");
        beforeB.assertKept(ab[1], hostB, "cv-b1");
        return a;
    }

    @Test
    void aKeepaliveChangeKeepsDeviceAndSessionAndRestartsTheTimer() throws Exception {
        Daemon a = reloadInPlace("keepalive.persistent = 25s", "keepalive.persistent = 10s", "keepalive 25s -> 10s");
        assertThat(t1(a).config().persistentKeepalive()).hasSeconds(10);
        assertThat(dev.culvert.daemon.control.ControlClient.request(dir.resolve("a-19202151820.sock"), "show t1"))
                .contains("\"persistent_keepalive\":10");
        a.reload(config("a.conf", siteA("192.0.2.1:51820", "keepalive.persistent = 0s")));
        assertThat(log).contains("tunnel t1: reloaded in place: keepalive 10s -> 0s");
    }

    @Test
    void persistChangesInPlace() throws Exception {
        reloadInPlace("persist = true", "persist = false", "persist true -> false");
    }

    @Test
    void newAllowedIpsRouteAtOnceWithoutANewSession() throws Exception {
        Daemon[] ab = upWithTraffic("", "");
        MemoryTunChannel devA = hostA.devices.get("cv-a1");
        MemoryTunChannel devB = hostB.devices.get("cv-b1");
        long noRoute = t1(ab[0]).counters().drops(DropReason.NO_ROUTE);
        devA.inject(ipv4(1, 0x0901, 100, 3)); // to 198.18.9.1: not routed to b yet
        await().atMost(5, TimeUnit.SECONDS).until(() -> t1(ab[0]).counters().drops(DropReason.NO_ROUTE) == noRoute + 1);

        Before before = Before.of(ab[0], devA);
        ab[0].reload(config("a.conf", siteA("192.0.2.1:51820",
                "allowed-ips = [\"198.18.0.2/32\", \"198.18.9.0/24\"]")));
        assertThat(log).contains("tunnel t1: reloaded in place: allowed-ips [198.18.0.2/32] -> [198.18.0.2/32, "
                + "198.18.9.0/24]");
        byte[] routed = ipv4(1, 0x0901, 100, 4);
        devA.inject(routed);
        assertThat(take(devB)).isEqualTo(routed);
        roundTrip(9);
        before.assertKept(ab[0], hostA, "cv-a1");
    }

    @Test
    void compressionSwapsTheExtensionHandlerOnly() throws Exception {
        Daemon[] ab = upWithTraffic("", "");
        ChannelHandler extension = hostA.devices.get("cv-a1").pipeline().get("extension");
        Before before = Before.of(ab[0], hostA.devices.get("cv-a1"));
        ab[0].reload(config("a.conf", siteA("192.0.2.1:51820", "compression = lz4")));
        assertThat(log).contains("tunnel t1: reloaded in place: compression off -> lz4");
        assertThat(hostA.devices.get("cv-a1").pipeline().get("extension")).isNotSameAs(extension);
        roundTrip(11); // b reads compressed packets whatever its own setting
        before.assertKept(ab[0], hostA, "cv-a1");
    }

    @Test
    void mssClampIsAddedAndRemovedInPlace() throws Exception {
        Daemon a = reloadInPlace("", "mss-clamp = auto", "mss-clamp off -> auto");
        assertThat(hostA.devices.get("cv-a1").pipeline().get("mss-clamp")).isNotNull();
        a.reload(config("a.conf", siteA("192.0.2.1:51820", "")));
        assertThat(log).contains("tunnel t1: reloaded in place: mss-clamp auto -> off");
        assertThat(hostA.devices.get("cv-a1").pipeline().get("mss-clamp")).isNull();
        roundTrip(13);
    }

    @Test
    void newHooksRunAtTheNextDownNotNow() throws Exception {
        Path oldMarker = dir.resolve("old-down");
        Path newMarker = dir.resolve("new-down");
        Path upMarker = dir.resolve("up-again");
        Daemon a = reloadInPlace("down = [\"touch " + oldMarker + "\"]",
                "down = [\"touch " + newMarker + "\"], up = [\"touch " + upMarker + "\"], hook-timeout = 5s",
                "up hooks (0 -> 1 commands; run at the next up), down hooks (1 -> 1 commands; run at the next down), "
                        + "hook-timeout 30s -> 5s");
        assertThat(upMarker).as("a new up hook is not run on a live tunnel").doesNotExist();
        a.close();
        assertThat(newMarker).exists();
        assertThat(oldMarker).doesNotExist();
    }

    @Test
    void anEndpointChangeMovesThePeerAndHandshakesWithTheNewAddress() throws Exception {
        Daemon[] ab = upWithTraffic("", "");
        Daemon b = ab[1];
        // the "moved" server: the same key, at 192.0.2.3
        Daemon c = start("c.conf", siteA("192.0.2.3:51820", ""), hostC);
        MemoryTunChannel devB = hostB.devices.get("cv-b1");
        Tunnel tunnelB = t1(b);
        long sent = tunnelB.counters().get(Counters.Kind.HANDSHAKES_SENT);
        b.reload(config("b.conf", siteB("192.0.2.3:51820", "")));
        assertThat(log).contains("tunnel t1: reloaded in place: endpoint 192.0.2.1:51820 -> 192.0.2.3:51820");
        assertThat(t1(b)).isSameAs(tunnelB);
        assertThat(hostB.devices.get("cv-b1")).isSameAs(devB);
        assertThat(tunnelB.endpoint()).isEqualTo(C);
        assertThat(tunnelB.counters().get(Counters.Kind.HANDSHAKES_SENT)).as("an initiation to the new address")
                .isGreaterThan(sent);
        await().atMost(10, TimeUnit.SECONDS).until(() -> t1(c).state() == Peer.State.UP);
        byte[] out = ipv4(2, 1, 200, 5);
        devB.inject(out);
        assertThat(take(hostC.devices.get("cv-a1"))).isEqualTo(out);
    }

    @Test
    void anEndpointChangedToANameMovesThePeerWhereTheNameResolves() throws Exception {
        Daemon[] ab = upWithTraffic("", "");
        Daemon b = ab[1];
        Daemon c = start("c.conf", siteA("192.0.2.3:51820", ""), hostC);
        hostB.names.put("server.culvert.test", C.getAddress());
        MemoryTunChannel devB = hostB.devices.get("cv-b1");
        b.reload(config("b.conf", siteB("server.culvert.test:51820", "")));
        assertThat(log).contains("tunnel t1: reloaded in place: endpoint 192.0.2.1:51820 -> server.culvert.test:51820");
        assertThat(t1(b).endpoint()).isEqualTo(C);
        await().atMost(10, TimeUnit.SECONDS).until(() -> t1(c).state() == Peer.State.UP);
        assertThat(hostB.devices.get("cv-b1")).isSameAs(devB);
        byte[] out = ipv4(2, 1, 200, 6);
        devB.inject(out);
        assertThat(take(hostC.devices.get("cv-a1"))).isEqualTo(out);
    }

    @Test
    void aTunnelWhoseDeviceIsGoneIsRecreatedEvenForAnInPlaceChange() throws Exception {
        Daemon[] ab = upWithTraffic("", "");
        MemoryTunChannel lost = hostA.devices.get("cv-a1");
        lost.close().sync();
        await().atMost(5, TimeUnit.SECONDS).until(() -> t1(ab[0]).state() == Peer.State.DOWN);
        ab[0].reload(config("a.conf", siteA("192.0.2.1:51820", "keepalive.persistent = 10s")));
        assertThat(log).contains("reload: tunnel t1 restarts: device cv-a1 was gone");
        assertThat(hostA.devices.get("cv-a1")).isNotSameAs(lost);
        assertThat(hostA.devices.get("cv-a1").isOpen()).isTrue();
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"mtu = 1380", "routes = [\"198.18.60.0/24\"]",
            "offload = off", "mode = tap"})
    void anyOtherDeviceSettingRecreatesTheDeviceToo(String setting) throws Exception {
        Daemon a = start("a.conf", siteA("192.0.2.1:51820", ""), hostA);
        MemoryTunChannel old = hostA.devices.get("cv-a1");
        a.reload(config("a.conf", siteA("192.0.2.1:51820", "keepalive.persistent = 10s")
                .replace("address = \"198.18.0.1/30\"", "address = \"198.18.0.1/30\", " + setting)));
        assertThat(log).contains("reloaded: 0 unchanged, 0 changed in place, 1 restarted, 0 added, 0 removed");
        assertThat(old.isOpen()).isFalse();
        assertThat(hostA.devices.get("cv-a1")).isNotSameAs(old);
    }

    @Test
    void aDeviceIdentityChangeStillRecreatesTheDevice() throws Exception {
        Daemon[] ab = upWithTraffic("", "");
        MemoryTunChannel old = hostA.devices.get("cv-a1");
        ab[0].reload(config("a.conf", siteA("192.0.2.1:51820", "keepalive.persistent = 10s")
                .replace("198.18.0.1/30", "198.18.0.1/29")));
        assertThat(log).contains("reload: tunnel t1 restarts: device.address 198.18.0.1/30 -> 198.18.0.1/29")
                .contains("reloaded: 0 unchanged, 0 changed in place, 1 restarted, 0 added, 0 removed");
        assertThat(old.isOpen()).isFalse();
        assertThat(hostA.devices.get("cv-a1")).isNotSameAs(old);
        assertThat(hostA.devices.get("cv-a1").isOpen()).isTrue();
    }
}
