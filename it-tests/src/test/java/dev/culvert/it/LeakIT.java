package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.Exec;
import dev.culvert.it.harness.ExecResult;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.DaemonConfig;
import dev.culvert.it.node.Daemons;
import dev.culvert.it.node.LinkSpec;
import dev.culvert.it.node.Metrics;
import dev.culvert.it.node.PeerSpec;
import dev.culvert.it.node.TunnelBlock;
import dev.culvert.it.node.WireGuardGoNode;
import dev.culvert.it.traffic.Ping;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * No leaks (issue 10, item 4): site A's daemon serves a TCP tunnel (t1, to Culvert at site B, which dials it) and
 * a UDP tunnel (t2, to wireguard-go at site B). The test resets t1's TCP connection ({@code ss -K} at site B) and
 * makes wireguard-go handshake anew on t2 (its peer removed and added again: a fresh initiation on the next packet)
 * again and again, each cycle proven by a ping through the tunnel, and compares both daemons' open file
 * descriptors ({@code /proc/PID/fd}), heap after a full GC ({@code jcmd GC.run}, then {@code jvm_memory_used_bytes}
 * for the heap) and Netty's pooled direct memory ({@code culvert_netty_pool_used_direct_bytes}) after a warm-up
 * with the same at the end. Every daemon runs with Netty's leak detector at PARANOID; a "LEAK:" line fails the test.
 *
 * <p>Cycles: {@code -Dculvert.it.leak.tcp-cycles} and {@code -Dculvert.it.leak.udp-cycles} (CI defaults
 * {@value #DEFAULT_TCP_CYCLES} and {@value #DEFAULT_UDP_CYCLES}: a TCP cycle waits for the redial's 0.5-0.75 s
 * backoff, so 1000 of them take 11 minutes; README, "Leaks", has the figures of a 1000-cycle run of each).
 */
@RequiresNetns(tools = {"ss", "wg", "wireguard-go"})
class LeakIT {

    static final int DEFAULT_TCP_CYCLES = 100;
    static final int DEFAULT_UDP_CYCLES = 1000;
    /** Open descriptors may differ by a few (a metrics connection, a control client) but not grow per cycle. */
    static final int FD_MARGIN = 5;
    /** Heap after a full GC: within 8 MiB of the warm-up's (the daemon's -Xmx is 64 MiB). */
    static final long HEAP_MARGIN = 8L << 20;
    /** Netty's pooled direct memory: within 16 MiB of the warm-up's (a few of the allocator's chunks). */
    static final long DIRECT_MARGIN = 16L << 20;
    /** A tenth of the cycles warm up (JIT, pools, caches) before the first figures are taken. */
    static final int WARM_UP_DIVISOR = 10;

    private static final String TCP_DEVICE = "cv0";
    private static final String UDP_DEVICE = "cv1";
    private static final String TUNNEL_A_UDP = "198.18.0.5/30";
    private static final String TUNNEL_IP_A_UDP = "198.18.0.5";
    private static final String TUNNEL_B_UDP = "198.18.0.6/30";
    private static final String TUNNEL_IP_B_UDP = "198.18.0.6";
    private static final int UDP_PORT_B = 51821;
    private static final Duration CYCLE_WITHIN = Duration.ofSeconds(20);
    /** More than the responder's one initiation per peer per 20 ms (Spec.HANDSHAKE_INITIATION_RATE_NANOS). */
    static final Duration INITIATION_SPACING = Duration.ofMillis(25);
    private static final Pattern TO_SERVER = Pattern.compile(Pattern.quote(TwoSites.UNDERLAY_A) + "]?:" + TwoSites.PORT);

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void reconnectsAndRehandshakesLeaveFdsAndMemoryFlat() {
        int tcpCycles = Integer.getInteger("culvert.it.leak.tcp-cycles", DEFAULT_TCP_CYCLES);
        int udpCycles = Integer.getInteger("culvert.it.leak.udp-cycles", DEFAULT_UDP_CYCLES);
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "site-a");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "site-b");
             WireGuardGoNode wg = new WireGuardGoNode(sites.b(), "wggo")) {
            Netns nsB = sites.b();
            BackgroundProcess server = Daemons.start(a, DaemonConfig.of(a).listenTcp(TwoSites.LISTEN_A)
                    .listenUdp(TwoSites.LISTEN_A)
                    .tunnel(TunnelBlock.tun("t1", TCP_DEVICE, TwoSites.TUNNEL_A, b.publicKey(),
                            TwoSites.TUNNEL_IP_B + "/32").withTransport(TunnelBlock.TCP))
                    .tunnel(TunnelBlock.tun("t2", UDP_DEVICE, TUNNEL_A_UDP, wg.publicKey(), TUNNEL_IP_B_UDP + "/32")
                            .withEndpoint(TwoSites.UNDERLAY_B + ":" + UDP_PORT_B)),
                    List.of(TCP_DEVICE, UDP_DEVICE));
            BackgroundProcess client = Daemons.start(b, DaemonConfig.of(b)
                    .tunnel(TunnelBlock.tun("t1", TCP_DEVICE, TwoSites.TUNNEL_B, a.publicKey(),
                            TwoSites.TUNNEL_IP_A + "/32").withTransport(TunnelBlock.TCP)
                            .withEndpoint(TwoSites.LISTEN_A)),
                    List.of(TCP_DEVICE));
            PeerSpec wgPeer = PeerSpec.of(a.publicKey(), TUNNEL_IP_A_UDP + "/32").withEndpoint(TwoSites.LISTEN_A);
            wg.start(Optional.of(TwoSites.UNDERLAY_B + ":" + UDP_PORT_B), LinkSpec.of("wg0", TUNNEL_B_UDP), wgPeer);
            Ping.awaitReply(nsB, TwoSites.TUNNEL_IP_A);
            Ping.awaitReply(nsB, TUNNEL_IP_A_UDP);

            long tcpStart = System.nanoTime();
            Sample[] tcpFigures = cycles(tcpCycles, a, b, server, client, () -> resetTcp(nsB));
            Duration tcpTook = Duration.ofNanos(System.nanoTime() - tcpStart);
            long udpStart = System.nanoTime();
            String rehandshake = "wg set " + wg.deviceName() + " peer " + a.publicKey() + " remove && wg set "
                    + wg.deviceName() + " peer " + a.publicKey() + " endpoint " + TwoSites.LISTEN_A + " allowed-ips "
                    + TUNNEL_IP_A_UDP + "/32";
            Sample[] udpFigures = cycles(udpCycles, a, b, server, client, () -> rehandshakeUdp(nsB, rehandshake));
            Duration udpTook = Duration.ofNanos(System.nanoTime() - udpStart);

            int connects = client.stderrCount("tunnel t1: connected to ");
            String showT2 = a.show("t2", "--json");
            long handshakesT2 = Long.parseLong(find("\"handshakes_completed\":(\\d+)", showT2));
            report("TCP reconnects", tcpCycles, tcpTook, tcpFigures);
            report("UDP re-handshakes", udpCycles, udpTook, udpFigures);
            System.out.printf(Locale.ROOT, "LeakIT: client connections %d, t2 handshakes at site A %d%n", connects,
                    handshakesT2);
            assertThat(connects).as("the TCP client's connections (its log)").isGreaterThanOrEqualTo(tcpCycles + 1);
            assertThat(handshakesT2).as("t2's completed handshakes at site A").isGreaterThanOrEqualTo(udpCycles);
            for (Sample[] figures : List.of(tcpFigures, udpFigures)) {
                requireFlat(figures[0], figures[1], "site A");
                requireFlat(figures[2], figures[3], "site B");
            }
            // What the last GC freed is reported on the next allocations: a few packets through both tunnels.
            Ping.awaitReply(nsB, TwoSites.TUNNEL_IP_A);
            Ping.awaitReply(nsB, TUNNEL_IP_A_UDP);
            a.assertNoLeakReported();
            b.assertNoLeakReported();
        }
    }

    /** Figures of one daemon at one moment. */
    record Sample(int fds, long heapAfterGc, long nettyDirect) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "fds %d, heap after GC %.1f MiB, Netty direct %.1f MiB", fds,
                    heapAfterGc / 1048576.0, nettyDirect / 1048576.0);
        }
    }

    /** Runs {@code count} cycles; returns site A's and site B's figures after the warm-up and at the end. */
    private static Sample[] cycles(int count, CulvertNode a, CulvertNode b, BackgroundProcess server,
                                   BackgroundProcess client, Runnable cycle) {
        int warmUp = Math.max(1, count / WARM_UP_DIVISOR);
        Sample[] figures = new Sample[4];
        for (int i = 0; i < count; i++) {
            if (i == warmUp) {
                figures[0] = sample(a, server);
                figures[2] = sample(b, client);
            }
            cycle.run();
        }
        figures[1] = sample(a, server);
        figures[3] = sample(b, client);
        return figures;
    }

    /** Destroys site B's TCP connection to site A (site A gets a RST) and waits for a ping through the new one. */
    private static void resetTcp(Netns nsB) {
        ExecResult killed = nsB.exec("ss", "-K", "-tn", "state", "established", "dst", TwoSites.LISTEN_A);
        // The client's socket is dual-stack: ss shows [::ffff:192.0.2.1]:51820.
        assertThat(killed.stdout()).as("ss -K: %s", killed.describe()).containsPattern(TO_SERVER);
        // The redial comes after 0.5-0.75 s: watch for the new connection rather than ping into the gap.
        await("a new connection to " + TwoSites.LISTEN_A).atMost(CYCLE_WITHIN).pollDelay(Duration.ofMillis(50))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> TO_SERVER.matcher(nsB.exec("ss", "-Htn", "state", "established", "dst",
                        TwoSites.LISTEN_A).stdout()).find());
        Ping.awaitReply(nsB, TwoSites.TUNNEL_IP_A, CYCLE_WITHIN);
    }

    /**
     * wireguard-go forgets the peer's session and handshakes anew for the next packet, which the ping sends. A
     * responder consumes at most one initiation per peer every 20 ms (the kernel and wireguard-go: 50 a second; Culvert
     * counts a faster one as {@code rate_limited}, and wireguard-go would retry only after REKEY_TIMEOUT, 5 s), and
     * a cycle can be quicker than that: so each starts {@link #INITIATION_SPACING} after the last handshake.
     */
    private static void rehandshakeUdp(Netns nsB, String command) {
        pause(INITIATION_SPACING);
        nsB.exec("bash", "-c", command).requireSuccess();
        Ping.awaitReply(nsB, TUNNEL_IP_A_UDP, CYCLE_WITHIN);
    }

    /** Waits out a protocol interval (not a condition: nothing to poll for). */
    private static void pause(Duration interval) {
        try {
            Thread.sleep(interval.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Open descriptors, then a full GC and the heap and Netty's direct memory from the metrics. */
    private static Sample sample(CulvertNode node, BackgroundProcess daemon) {
        long pid = daemon.pid();
        int fds = openFds(pid);
        Path jcmd = jdkTool(pid, "jcmd");
        ExecResult gc = Exec.run(jcmd.toString(), Long.toString(pid), "GC.run");
        assertThat(gc.ok()).as("jcmd GC.run: %s", gc.describe()).isTrue();
        String scrape = Metrics.scrape(node.netns());
        return new Sample(fds, sum(scrape, "jvm_memory_used_bytes\\{area=\"heap\"[^}]*\\}"),
                (long) Metrics.value(scrape, "culvert_netty_pool_used_direct_bytes"));
    }

    private static int openFds(long pid) {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return (int) fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the descriptors of " + pid, e);
        }
    }

    /** A tool of the JDK the daemon runs on (its /proc/PID/exe is that JDK's bin/java). */
    private static Path jdkTool(long pid, String tool) {
        try {
            return Path.of("/proc", Long.toString(pid), "exe").toRealPath().resolveSibling(tool);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find the JDK of " + pid, e);
        }
    }

    private static long sum(String scrape, String series) {
        Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(scrape);
        double total = 0;
        boolean any = false;
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
            any = true;
        }
        assertThat(any).as("series %s in the scrape", series).isTrue();
        return (long) total;
    }

    private static void requireFlat(Sample start, Sample end, String site) {
        assertThat(end.fds()).as("%s's open descriptors: after warm-up %s, at the end %s", site, start, end)
                .isLessThanOrEqualTo(start.fds() + FD_MARGIN);
        assertThat(end.heapAfterGc()).as("%s's heap after GC: after warm-up %s, at the end %s", site, start, end)
                .isLessThanOrEqualTo(start.heapAfterGc() + HEAP_MARGIN);
        assertThat(end.nettyDirect()).as("%s's Netty direct memory: after warm-up %s, at the end %s", site, start, end)
                .isLessThanOrEqualTo(start.nettyDirect() + DIRECT_MARGIN);
    }

    private static void report(String what, int cycles, Duration took, Sample[] figures) {
        System.out.printf(Locale.ROOT, "LeakIT: %d %s in %.1f s (%.0f ms each)%n  site A: %s -> %s%n  site B: %s -> %s%n",
                cycles, what, took.toMillis() / 1000.0, (double) took.toMillis() / cycles, figures[0], figures[1],
                figures[2], figures[3]);
    }

    private static String find(String regex, String text) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("%s in %s", regex, text).isTrue();
        return m.group(1);
    }
}
