package dev.culvert.daemon.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.protocol.offload.VirtioNetHdr;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tun offloads on this machine's kernel: {@link TunChannel} opened with the virtio-net header in a network
 * namespace each test creates and deletes ({@value #NS_PREFIX}...), the channel in a child JVM
 * ({@link TunOffloadMain}) that plays the far end of a TCP stream sent by the kernel into the device.
 */
class TunOffloadNetnsTest {

    private static final String NS_PREFIX = "cvto-";
    private static final String DEVICE = "to0";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
    private static final Pattern PACKET = Pattern.compile(
            "PKT read=(\\d+) ipLen=(\\d+) payload=(\\d+) vnet=(none|flags=(\\d+),gso=(\\d+),size=(\\d+),"
                    + "hdrLen=(\\d+),start=(\\d+),offset=(\\d+))");
    private static final int IFF_MULTI_QUEUE = 0x0100;
    private static final int IFF_VNET_HDR = 0x4000;

    private Netns ns;

    @BeforeAll
    static void requireRoot() {
        RootPreconditions.require("ip");
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
    void withOffloadsTheKernelHandsOverTcpSuperPacketsBehindAVirtioNetHeader() throws Exception {
        ChildJvm child = ns.startJava(TunOffloadMain.class, "tcp", DEVICE, "offload");

        String offloads = child.awaitLine(TunOffloadMain.OFFLOADS, START_TIMEOUT);
        assertThat(offloads).as("the kernel accepts checksum and TCP offloads")
                .startsWith(TunOffloadMain.OFFLOADS + "csum tso4 tso6");
        if (kernelAtLeast(6, 2)) {
            assertThat(offloads).isEqualTo(TunOffloadMain.OFFLOADS + "csum tso4 tso6 uso4 uso6");
        }
        // Slow start: the first reads are single segments; super-packets follow as the window opens.
        List<Packet> packets = awaitPackets(child, 20, output -> output.contains(",gso=1,"));

        assertThat(packets).allSatisfy(p -> {
            assertThat(p.vnet).as("every read starts with a virtio_net_hdr").isTrue();
            assertThat(p.ipLen).as("the IP packet follows the 10-byte header").isEqualTo(p.read - 10);
            assertThat(p.flags & VirtioNetHdr.F_NEEDS_CSUM).as("TCP checksum left to us (TUN_F_CSUM)").isNotZero();
            assertThat(p.csumStart).isEqualTo(20);
            assertThat(p.csumOffset).isEqualTo(16);
        });
        assertThat(packets).as("TSO: super-packets of several MSS-sized segments, gso_type TCPV4")
                .anySatisfy(p -> {
                    assertThat(p.gsoType & ~VirtioNetHdr.GSO_ECN).isEqualTo(VirtioNetHdr.GSO_TCPV4);
                    assertThat(p.gsoSize).isPositive().isLessThanOrEqualTo(TunOffloadMain.MSS);
                    assertThat(p.payload).isGreaterThan(p.gsoSize);
                    assertThat(p.read).isGreaterThan(TunOffloadMain.MTU + 10);
                    assertThat(p.hdrLen).isGreaterThanOrEqualTo(40);
                });
        assertThat(packets).filteredOn(p -> p.gsoType == VirtioNetHdr.GSO_NONE)
                .allSatisfy(p -> assertThat(p.payload).isLessThanOrEqualTo(TunOffloadMain.MSS));
        Map<String, String> stats = stats(child);
        assertThat(stats).as("SYN-ACK and ACKs written with an all-zero header were taken")
                .containsEntry("writeErrors", "0").containsEntry("oversizedReads", "0");
        assertThat(Integer.parseInt(stats.get("synAcks"))).as("one per SYN (a slow start may see it retried)")
                .isPositive();
        assertThat(Integer.parseInt(stats.get("acks"))).isGreaterThanOrEqualTo(20);
        assertThat(tunFlags() & IFF_VNET_HDR).isNotZero();
    }

    @Test
    void withoutOffloadsEveryReadIsOnePlainPacketOfAtMostTheMtu() throws Exception {
        ChildJvm child = ns.startJava(TunOffloadMain.class, "tcp", DEVICE, "plain");

        assertThat(child.awaitLine(TunOffloadMain.OFFLOADS, START_TIMEOUT)).isEqualTo(TunOffloadMain.OFFLOADS + "off");
        List<Packet> packets = awaitPackets(child, 20, output -> true);

        assertThat(packets).allSatisfy(p -> {
            assertThat(p.vnet).isFalse();
            assertThat(p.ipLen).as("no header: the read is the IP packet").isEqualTo(p.read);
            assertThat(p.read).isLessThanOrEqualTo(TunOffloadMain.MTU);
            assertThat(p.payload).isLessThanOrEqualTo(TunOffloadMain.MSS);
        });
        assertThat(stats(child)).containsEntry("writeErrors", "0").containsEntry("oversizedReads", "0");
        assertThat(tunFlags() & IFF_VNET_HDR).isZero();
    }

    @Test
    void aMultiQueueDeviceTakesASecondQueueAndLivesUntilTheLastCloses() throws Exception {
        ChildJvm child = ns.startJava(TunOffloadMain.class, "queues", DEVICE, "offload");

        String line = child.awaitLine(TunOffloadMain.QUEUES, START_TIMEOUT);
        assertThat(line).startsWith(TunOffloadMain.QUEUES + "2 offloads=csum tso4 tso6")
                .contains("second=csum tso4 tso6").endsWith("multiQueue=true");
        assertThat(tunFlags() & (IFF_MULTI_QUEUE | IFF_VNET_HDR)).isEqualTo(IFF_MULTI_QUEUE | IFF_VNET_HDR);

        child.send("close 0");
        child.awaitLine(TunOffloadMain.CLOSED + "0", STOP_TIMEOUT);
        assertThat(ns.ip("link", "show", DEVICE).succeeded()).as("one queue left: the device stays").isTrue();

        child.send("close 1");
        child.awaitLine(TunOffloadMain.CLOSED + "1", STOP_TIMEOUT);
        await("device deleted").atMost(STOP_TIMEOUT).pollInterval(Duration.ofMillis(100))
                .until(() -> !ns.ip("link", "show", DEVICE).succeeded());
    }

    /**
     * The data packets the child reported, once there are {@code count} and {@code done} holds for its output
     * (or it has reported all it will, or died).
     */
    private List<Packet> awaitPackets(ChildJvm child, int count, java.util.function.Predicate<String> done) {
        await("" + count + " data packets read").atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    long reported = child.output().lines().filter(l -> l.startsWith(TunOffloadMain.PACKET)).count();
                    return reported >= count && done.test(child.output()) || reported >= TunOffloadMain.REPORTED
                            || !child.isAlive();
                });
        List<Packet> packets = new ArrayList<>();
        child.output().lines().filter(l -> l.startsWith(TunOffloadMain.PACKET)).forEach(l -> {
            Matcher m = PACKET.matcher(l);
            assertThat(m.matches()).as("packet line %s", l).isTrue();
            packets.add(new Packet(m));
        });
        assertThat(packets).as("child output:\n%s", child.output()).hasSizeGreaterThanOrEqualTo(count);
        return packets;
    }

    private static Map<String, String> stats(ChildJvm child) throws Exception {
        child.send("stats");
        String line = child.awaitLine(TunOffloadMain.STATS, STOP_TIMEOUT);
        Map<String, String> stats = new java.util.HashMap<>();
        for (String pair : line.substring(TunOffloadMain.STATS.length()).split(" ")) {
            String[] kv = pair.split("=", 2);
            stats.put(kv[0], kv[1]);
        }
        return stats;
    }

    /** The device's {@code tun_flags} (sysfs, hex), read inside the namespace. */
    private int tunFlags() throws Exception {
        CommandRunner.CommandResult cat = ns.exec("cat", "/sys/class/net/" + DEVICE + "/tun_flags");
        assertThat(cat.succeeded()).as("tun_flags: %s", cat.stderr()).isTrue();
        return Integer.decode(cat.stdout().strip());
    }

    private static boolean kernelAtLeast(int major, int minor) throws Exception {
        String release = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        Matcher m = Pattern.compile("^(\\d+)\\.(\\d+)").matcher(release);
        if (!m.find()) {
            return false;
        }
        int maj = Integer.parseInt(m.group(1));
        return maj > major || (maj == major && Integer.parseInt(m.group(2)) >= minor);
    }

    /** One data segment the child read. */
    private static final class Packet {
        final int read;
        final int ipLen;
        final int payload;
        final boolean vnet;
        final int flags;
        final int gsoType;
        final int gsoSize;
        final int hdrLen;
        final int csumStart;
        final int csumOffset;

        Packet(Matcher m) {
            read = Integer.parseInt(m.group(1));
            ipLen = Integer.parseInt(m.group(2));
            payload = Integer.parseInt(m.group(3));
            vnet = !m.group(4).equals("none");
            flags = vnet ? Integer.parseInt(m.group(5)) : 0;
            gsoType = vnet ? Integer.parseInt(m.group(6)) : 0;
            gsoSize = vnet ? Integer.parseInt(m.group(7)) : 0;
            hdrLen = vnet ? Integer.parseInt(m.group(8)) : 0;
            csumStart = vnet ? Integer.parseInt(m.group(9)) : 0;
            csumOffset = vnet ? Integer.parseInt(m.group(10)) : 0;
        }

        @Override
        public String toString() {
            return "read=" + read + " ipLen=" + ipLen + " payload=" + payload + " flags=" + flags + " gso=" + gsoType
                    + " size=" + gsoSize + " hdrLen=" + hdrLen + " start=" + csumStart + " offset=" + csumOffset;
        }
    }
}
