package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.ExecResult;
import dev.culvert.it.harness.Impairment;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.DaemonConfig;
import dev.culvert.it.node.Daemons;
import dev.culvert.it.node.TunnelBlock;
import dev.culvert.it.traffic.Ping;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bad networks (issue 10, item 3): one daemon pair per transport (UDP, TCP) and device mode (tun, tap), site A the
 * server, site B the client dialling it, then one bad network after another on the test's own underlay veth:
 * loss, duplication, the link down for {@link #LINK_DOWN}, site A SIGKILLed and started again, site B's underlay
 * address changed while traffic flows (roaming), and on TCP the connection reset mid-stream; delay with jitter
 * (reordering) in a test of its own: netem's, or on a kernel without sch_netem a user-space delay line
 * ({@link Impairment}).
 *
 * <p>Each asserts that the tunnel comes back with no manual step within the stated time (README, "Bad networks":
 * the same constants), that no ping reply comes back twice (iputils ping reports a sequence number answered again
 * as a duplicate), and that {@code culvert show --json} tells what happened.
 */
@RequiresNetns(tools = {"tc", "ss", "iptables"})
class NetemIT {

    private static final String DEVICE = "cv0";
    private static final String TUNNEL = "t1";
    /** Where site B moves to when it roams (same subnet as A's end of the veth). */
    private static final String ROAMED_B = "192.0.2.3";
    private static final String MAC_A = "02:00:5e:10:00:0a";
    private static final String MAC_B = "02:00:5e:10:00:0b";

    static final int LOSS_PERCENT = 10;
    static final int DUPLICATE_PERCENT = 1;
    static final int DELAY_MILLIS = 50;
    static final int JITTER_MILLIS = 20;
    /** At 10 % loss each way ~81 % of UDP pings come back; TCP retransmits, so nearly all do. */
    static final double MIN_DELIVERED_UNDER_LOSS = 0.6;
    /** Delay and reordering lose nothing: every ping but a stray one comes back. */
    static final double MIN_DELIVERED_UNDER_DELAY = 0.95;
    /** From the impairment's removal to the first ping through the tunnel. */
    static final Duration BACK_AFTER_IMPAIRMENT = Duration.ofSeconds(10);
    static final Duration LINK_DOWN = Duration.ofSeconds(20);
    /** From the link's coming back up to the first ping through the tunnel. */
    static final Duration BACK_AFTER_LINK_UP = Duration.ofSeconds(30);
    /**
     * From the restarted server's "running" to the first ping through the tunnel. UDP: the client sees nothing
     * wrong until its data goes unanswered for KEEPALIVE + REKEY_TIMEOUT (15 s), then handshakes anew; TCP: it
     * redials at once (backoff 0.5 s to 5 s) and handshakes on the new connection.
     */
    static final Duration BACK_AFTER_PEER_RESTART = Duration.ofSeconds(30);
    /**
     * From the address change to the first ping through the tunnel. UDP: the next authenticated packet from the new
     * address updates the server's endpoint; TCP: the old connection's data goes unacknowledged until
     * TCP_USER_TIMEOUT (15 s) drops it, then the client redials from the new address.
     */
    static final Duration BACK_AFTER_ROAMING = Duration.ofSeconds(30);
    /** From the TCP connection's reset to the first ping through the tunnel: a redial after 0.5-0.75 s. */
    static final Duration BACK_AFTER_RESET = Duration.ofSeconds(10);

    private static final Pattern HANDSHAKES = Pattern.compile("\"handshakes_completed\":(\\d+)");
    private static final Pattern ENDPOINT = Pattern.compile("\"endpoint\":\"([^\"]*)\"");

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"udp, tun", "udp, tap", "tcp, tun", "tcp, tap"})
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void tunnelComesBackFromEveryBadNetworkWithoutDuplicates(String transport, String mode) throws InterruptedException {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "site-a");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "site-b")) {
            Netns nsA = sites.a();
            Netns nsB = sites.b();
            String dev = sites.underlayDevice();
            DaemonConfig configA = serverConfig(a, b.publicKey(), transport, mode);
            BackgroundProcess serverRun = Daemons.start(a, configA, List.of(DEVICE));
            BackgroundProcess clientRun = Daemons.start(b, clientConfig(b, a.publicKey(), transport, mode), List.of(DEVICE));
            Ping.awaitReply(nsB, TwoSites.TUNNEL_IP_A);
            Impairment atA = Impairment.of(nsA, dev, TwoSites.UNDERLAY_B);
            Impairment atB = Impairment.of(nsB, dev, TwoSites.UNDERLAY_A);
            boolean udp = transport.equals(TunnelBlock.UDP);

            // 10 % loss each way.
            atA.loss(LOSS_PERCENT);
            atB.loss(LOSS_PERCENT);
            Ping.Train lossy = Ping.train(nsB, TwoSites.TUNNEL_IP_A, 200, 0.01, 2);
            log(transport, mode, "loss " + LOSS_PERCENT + " % (" + atB.describe() + "): " + lossy.summary());
            assertThat(lossy.duplicates()).as("duplicate replies under loss: %s", lossy.output()).isZero();
            assertThat(lossy.deliveredRatio()).as("delivered under %d %% loss", LOSS_PERCENT)
                    .isGreaterThanOrEqualTo(MIN_DELIVERED_UNDER_LOSS);
            atA.clear();
            atB.clear();
            back(nsB, BACK_AFTER_IMPAIRMENT, transport, mode, "loss removed");

            // 1 % duplication each way: WireGuard's replay window drops the second copy (UDP); TCP absorbs it.
            long replayBefore = drops(culvert, a, "replay") + drops(culvert, b, "replay");
            atA.duplicate(DUPLICATE_PERCENT);
            atB.duplicate(DUPLICATE_PERCENT);
            Ping.Train doubled = Ping.train(nsB, TwoSites.TUNNEL_IP_A, 1000, 0.002, 2);
            atA.clear();
            atB.clear();
            long replayAfter = drops(culvert, a, "replay") + drops(culvert, b, "replay");
            log(transport, mode, "duplication " + DUPLICATE_PERCENT + " %: " + doubled.summary() + "; replay drops "
                    + replayBefore + " -> " + replayAfter);
            assertThat(doubled.duplicates()).as("duplicate replies through the tunnel: %s", doubled.output()).isZero();
            assertThat(doubled.deliveredRatio()).as("delivered under duplication").isGreaterThanOrEqualTo(0.99);
            if (udp) {
                assertThat(replayAfter - replayBefore).as("second copies dropped and counted as replay").isPositive();
            }

            // The underlay link down for 20 s, traffic flowing, and back.
            BackgroundProcess flow = nsB.spawn("ping-link", "ping", "-n", "-i", "0.2", TwoSites.TUNNEL_IP_A);
            nsB.ip("link", "set", "dev", dev, "down");
            Thread.sleep(LINK_DOWN.toMillis()); // the outage itself, not a wait for a condition
            nsB.ip("link", "set", "dev", dev, "up");
            Duration linkBack = back(nsB, BACK_AFTER_LINK_UP, transport, mode, "link up after " + LINK_DOWN);
            requireNoDuplicates(flow, "link down and up");

            // Site A SIGKILLed and started again: the client re-handshakes by itself.
            long handshakesBefore = handshakes(culvert, b);
            flow = nsB.spawn("ping-kill", "ping", "-n", "-i", "0.2", TwoSites.TUNNEL_IP_A);
            serverRun.signal("KILL");
            serverRun.awaitExit(CulvertNode.STOP_TIMEOUT);
            BackgroundProcess restarted = a.launch(a.dir().resolve("culvert.conf"), "culvert-site-a-restarted");
            Daemons.awaitRunning(a, restarted, List.of(DEVICE));
            Duration restartBack = back(nsB, BACK_AFTER_PEER_RESTART, transport, mode, "peer SIGKILLed and restarted");
            requireNoDuplicates(flow, "peer restart");
            long handshakesAfter = handshakes(culvert, b);
            log(transport, mode, "client handshakes " + handshakesBefore + " -> " + handshakesAfter
                    + "; restarted server's drops: " + dropsJson(culvert, a));
            assertThat(handshakesAfter).as("client's completed handshakes after the server's restart")
                    .isGreaterThan(handshakesBefore);

            // Site B roams: its underlay address changes while pings flow.
            flow = nsB.spawn("ping-roam", "ping", "-n", "-i", "0.2", TwoSites.TUNNEL_IP_A);
            // The new address is a secondary one of the same subnet: promoted when the old (primary) goes, rather
            // than deleted with it (the kernel's default in a new namespace).
            nsB.exec("sh", "-c", "echo 1 > /proc/sys/net/ipv4/conf/" + dev + "/promote_secondaries").requireSuccess();
            nsB.ip("addr", "add", ROAMED_B + "/" + TwoSites.UNDERLAY_PREFIX, "dev", dev);
            nsB.ip("addr", "del", TwoSites.UNDERLAY_B + "/" + TwoSites.UNDERLAY_PREFIX, "dev", dev);
            Duration roamBack = back(nsB, BACK_AFTER_ROAMING, transport, mode, "client roamed to " + ROAMED_B);
            requireNoDuplicates(flow, "roaming");
            String endpoint = endpoint(culvert, a);
            log(transport, mode, "server's endpoint for the client now " + endpoint);
            assertThat(endpoint).as("the server's endpoint for the roamed client").startsWith(ROAMED_B + ":");

            // TCP: the connection reset mid-stream (ss -K destroys the client's socket; its peer gets a RST).
            if (!udp) {
                int connectsBefore = clientRun.stderrCount("connected to ");
                int closesBefore = clientRun.stderrCount("connection closed; redialling");
                flow = nsB.spawn("ping-reset", "ping", "-n", "-i", "0.05", TwoSites.TUNNEL_IP_A);
                Ping.awaitReply(nsB, TwoSites.TUNNEL_IP_A);
                ExecResult killed = nsB.exec("ss", "-K", "-tn", "state", "established", "dst", TwoSites.LISTEN_A);
                // The client's socket is dual-stack: ss shows [::ffff:192.0.2.1]:51820.
                assertThat(killed.stdout()).as("ss -K: %s", killed.describe())
                        .containsPattern(Pattern.quote(TwoSites.UNDERLAY_A) + "]?:" + TwoSites.PORT);
                back(nsB, BACK_AFTER_RESET, transport, mode, "TCP connection reset");
                requireNoDuplicates(flow, "TCP reset");
                assertThat(clientRun.stderrCount("connected to ")).as("the client's connections, in its log")
                        .isGreaterThan(connectsBefore);
                assertThat(clientRun.stderrCount("connection closed; redialling"))
                        .as("the client's lost connections, in its log").isGreaterThan(closesBefore);
            }
            log(transport, mode, "recovery: link " + linkBack.toMillis() + " ms, restart " + restartBack.toMillis()
                    + " ms, roaming " + roamBack.toMillis() + " ms");
            Daemons.requireAlive(restarted);
            Daemons.requireAlive(clientRun);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"udp, tun", "udp, tap", "tcp, tun", "tcp, tap"})
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void delayWithJitterReordersButLosesAndDuplicatesNothing(String transport, String mode) {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "site-a");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "site-b")) {
            Daemons.start(a, serverConfig(a, b.publicKey(), transport, mode), List.of(DEVICE));
            Daemons.start(b, clientConfig(b, a.publicKey(), transport, mode), List.of(DEVICE));
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
            Impairment atA = Impairment.of(sites.a(), sites.underlayDevice(), TwoSites.UNDERLAY_B).delay(DELAY_MILLIS,
                    JITTER_MILLIS);
            Impairment atB = Impairment.of(sites.b(), sites.underlayDevice(), TwoSites.UNDERLAY_A).delay(DELAY_MILLIS,
                    JITTER_MILLIS);
            // 5 ms apart against 40 ms of jitter: consecutive packets overtake each other.
            Ping.Train late = Ping.train(sites.b(), TwoSites.TUNNEL_IP_A, 400, 0.005, 3);
            log(transport, mode, "delay " + DELAY_MILLIS + " ms +- " + JITTER_MILLIS + " ms (" + atB.describe() + "): "
                    + late.summary() + "; drops at the server " + dropsJson(culvert, a));
            assertThat(late.duplicates()).as("duplicate replies: %s", late.output()).isZero();
            assertThat(late.deliveredRatio()).as("delivered under delay and reordering")
                    .isGreaterThanOrEqualTo(MIN_DELIVERED_UNDER_DELAY);
            assertThat(late.avgMillis()).as("average RTT: the delay applies both ways")
                    .isGreaterThanOrEqualTo(2 * (DELAY_MILLIS - JITTER_MILLIS));
            atA.clear();
            atB.clear();
            if (atB.reordered() >= 0) {
                log(transport, mode, "the delay lines reordered " + atA.reordered() + " (A) and " + atB.reordered()
                        + " (B) packets");
                assertThat(atA.reordered() + atB.reordered()).as("packets the delay lines reordered").isPositive();
            }
            back(sites.b(), BACK_AFTER_IMPAIRMENT, transport, mode, "delay removed");
        }
    }

    private static DaemonConfig serverConfig(CulvertNode server, String clientKey, String transport, String mode) {
        DaemonConfig config = DaemonConfig.of(server);
        config = transport.equals(TunnelBlock.TCP) ? config.listenTcp(TwoSites.LISTEN_A)
                : config.listenUdp(TwoSites.LISTEN_A);
        return config.tunnel(tunnel(mode, TwoSites.TUNNEL_A, clientKey, TwoSites.TUNNEL_IP_B).withTransport(transport));
    }

    /** The client has no listener: its socket is the wildcard's, so it keeps working when its address changes. */
    private static DaemonConfig clientConfig(CulvertNode client, String serverKey, String transport, String mode) {
        return DaemonConfig.of(client).tunnel(tunnel(mode, TwoSites.TUNNEL_B, serverKey, TwoSites.TUNNEL_IP_A)
                .withTransport(transport).withEndpoint(TwoSites.LISTEN_A));
    }

    /**
     * A tap device keeps its MAC across the server's restart ({@code device.mac}): with a new random one the client
     * would send to the old MAC until its neighbour entry went stale (README, "Bad networks").
     */
    private static TunnelBlock tunnel(String mode, String address, String peerKey, String peerIp) {
        String mac = address.equals(TwoSites.TUNNEL_A) ? MAC_A : MAC_B;
        return mode.equals("tap") ? TunnelBlock.tap(TUNNEL, DEVICE, peerKey).withAddress(address).withMac(mac)
                : TunnelBlock.tun(TUNNEL, DEVICE, address, peerKey, peerIp + "/32");
    }

    /** Waits for the first ping through the tunnel and returns how long it took. */
    private static Duration back(Netns from, Duration within, String transport, String mode, String after) {
        long start = System.nanoTime();
        Ping.awaitReply(from, TwoSites.TUNNEL_IP_A, within);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        log(transport, mode, "tunnel back " + took.toMillis() + " ms after: " + after + " (bound " + within + ")");
        return took;
    }

    /** Stops a background ping (SIGINT prints its summary) and asserts it saw no reply twice. */
    private static void requireNoDuplicates(BackgroundProcess ping, String during) {
        ping.signal("INT");
        ping.awaitExit(Duration.ofSeconds(10));
        String output = ping.stdout();
        assertThat(output).as("ping's replies during %s", during).doesNotContain("DUP!");
        Ping.Train train = Ping.parse(output);
        assertThat(train.duplicates()).as("duplicates during %s", during).isZero();
    }

    private static long handshakes(CulvertDistribution culvert, CulvertNode node) {
        return Long.parseLong(find(HANDSHAKES, node.show(TUNNEL, "--json")));
    }

    private static String endpoint(CulvertDistribution culvert, CulvertNode node) {
        return find(ENDPOINT, node.show(TUNNEL, "--json"));
    }

    private static long drops(CulvertDistribution culvert, CulvertNode node, String reason) {
        Matcher m = Pattern.compile("\"" + reason + "\":(\\d+)").matcher(dropsJson(culvert, node));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static String dropsJson(CulvertDistribution culvert, CulvertNode node) {
        String json = node.show(TUNNEL, "--json");
        Matcher m = Pattern.compile("\"drops\":(\\{[^}]*})").matcher(json);
        return m.find() ? m.group(1) : "{}";
    }

    private static String find(Pattern pattern, String json) {
        Matcher m = pattern.matcher(json);
        assertThat(m.find()).as("%s in %s", pattern, json).isTrue();
        return m.group(1);
    }

    private static void log(String transport, String mode, String line) {
        System.out.println("NetemIT " + transport + "/" + mode + ": " + line);
    }
}
