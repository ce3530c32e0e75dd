package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.FailureLogs;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.DaemonConfig;
import dev.culvert.it.node.Daemons;
import dev.culvert.it.node.LinkSpec;
import dev.culvert.it.node.Metrics;
import dev.culvert.it.node.PeerSpec;
import dev.culvert.it.node.TunnelBlock;
import dev.culvert.it.node.WireGuardGoNode;
import dev.culvert.it.traffic.Iperf;
import dev.culvert.it.traffic.Ping;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * IPv6 in CI (issue 13): one server daemon listening on {@code :51820} (UDP and TCP, every address of its
 * namespace) and, each in a namespace of its own, the peers that reach it:
 *
 * <pre>
 *  peer            underlay to the server        transport  inside the tunnel
 *  v6udp  culvert  IPv6 only 2001:db8:1::/64     udp        IPv6 2001:db8:ff:1::/64 (tun)
 *  v6tcp  culvert  IPv6 only 2001:db8:2::/64     tcp        IPv4 198.18.2.0/30 (tun)
 *  v4tap  culvert  IPv4 only 192.0.2.0/24        udp        IPv6 2001:db8:ff:3::/64 (tap)
 *  wg6    wg-go    IPv6 only 2001:db8:5::/64     udp        IPv4 198.18.5.0/30
 *  roamwg wg-go    both: 198.51.100.0/24, 2001:db8:4::/64   IPv4 198.18.6.0/30, moves v4 to v6 in its session
 *  roamcv culvert  both: 203.0.113.0/24, 2001:db8:6::/64    IPv4 198.18.7.0/30, reloaded from v4 to v6
 * </pre>
 *
 * All start together once for the class (six daemons' start-up is most of the run time); each test checks one
 * item. IPv6 tunnel addresses come from {@code 2001:db8:ff::/48}, apart from every underlay (see SafeAddresses).
 */
@RequiresNetns(tools = {"wireguard-go", "wg", "iperf3", "ss"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ipv6IT {

    private static final int PORT = 51820;
    private static final int IPERF_SECONDS = 1;
    private static final Duration ROAM_WITHIN = Duration.ofSeconds(20);
    private static final int BURST = 20;
    private static final Duration BURST_WITHIN = Duration.ofSeconds(20);
    /** Five JVMs starting side by side on a 2-core machine. */
    private static final Duration START_WITHIN = Duration.ofSeconds(120);

    private static final String S_V6UDP = "2001:db8:1::1";
    private static final String C_V6UDP = "2001:db8:1::2";
    private static final String S_V6TCP = "2001:db8:2::1";
    private static final String C_V6TCP = "2001:db8:2::2";
    private static final String S_V4TAP = "192.0.2.1";
    private static final String C_V4TAP = "192.0.2.2";
    private static final String S_WG6 = "2001:db8:5::1";
    private static final String C_WG6 = "2001:db8:5::2";
    private static final String S_ROAMWG_V4 = "198.51.100.1";
    private static final String C_ROAMWG_V4 = "198.51.100.2";
    private static final String S_ROAMWG_V6 = "2001:db8:4::1";
    private static final String C_ROAMWG_V6 = "2001:db8:4::2";
    private static final String S_ROAMCV_V4 = "203.0.113.1";
    private static final String C_ROAMCV_V4 = "203.0.113.2";
    private static final String S_ROAMCV_V6 = "2001:db8:6::1";
    private static final String C_ROAMCV_V6 = "2001:db8:6::2";

    private static final String IN_V6UDP_S = "2001:db8:ff:1::1";
    private static final String IN_V6UDP_C = "2001:db8:ff:1::2";
    private static final String IN_V6TCP_S = "198.18.2.1";
    private static final String IN_V6TCP_C = "198.18.2.2";
    private static final String IN_TAP_S = "2001:db8:ff:3::1";
    private static final String IN_TAP_C = "2001:db8:ff:3::2";
    private static final String IN_WG6_S = "198.18.5.1";
    private static final String IN_WG6_C = "198.18.5.2";
    private static final String IN_ROAMWG_S = "198.18.6.1";
    private static final String IN_ROAMWG_C = "198.18.6.2";
    private static final String IN_ROAMCV_S = "198.18.7.1";
    private static final String IN_ROAMCV_C = "198.18.7.2";

    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<BackgroundProcess> processes = new ArrayList<>();
    private Netns s;
    private Netns v6udp;
    private Netns v6tcp;
    private Netns v4tap;
    private Netns wg6;
    private Netns roamwg;
    private Netns roamcv;
    private BackgroundProcess server;
    private BackgroundProcess roamcvProcess;
    private CulvertNode roamcvNode;
    private WireGuardGoNode roamwgNode;
    private String serverKey;
    private String roamwgUnderlay;
    private String v6udpUnderlay;
    private String v6tcpUnderlay;
    private String wg6Underlay;

    @BeforeAll
    void startAll() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        s = keep(Netns.create("s6"));
        v6udp = keep(Netns.create("v6u"));
        v6tcp = keep(Netns.create("v6t"));
        v4tap = keep(Netns.create("v4t"));
        wg6 = keep(Netns.create("wg6"));
        roamwg = keep(Netns.create("rwg"));
        roamcv = keep(Netns.create("rcv"));
        v6udpUnderlay = s.veth(v6udp, Netns.DEFAULT_MTU, List.of(S_V6UDP + "/64"), List.of(C_V6UDP + "/64"));
        v6tcpUnderlay = s.veth(v6tcp, Netns.DEFAULT_MTU, List.of(S_V6TCP + "/64"), List.of(C_V6TCP + "/64"));
        s.veth(v4tap, S_V4TAP + "/24", C_V4TAP + "/24");
        wg6Underlay = s.veth(wg6, Netns.DEFAULT_MTU, List.of(S_WG6 + "/64"), List.of(C_WG6 + "/64"));
        roamwgUnderlay = s.veth(roamwg, Netns.DEFAULT_MTU, List.of(S_ROAMWG_V4 + "/24", S_ROAMWG_V6 + "/64"),
                List.of(C_ROAMWG_V4 + "/24", C_ROAMWG_V6 + "/64"));
        s.veth(roamcv, Netns.DEFAULT_MTU, List.of(S_ROAMCV_V4 + "/24", S_ROAMCV_V6 + "/64"),
                List.of(C_ROAMCV_V4 + "/24", C_ROAMCV_V6 + "/64"));

        CulvertNode sNode = keep(CulvertNode.withKeysFromTestJvm(culvert, s, "server6"));
        CulvertNode v6udpNode = keep(CulvertNode.withKeysFromTestJvm(culvert, v6udp, "v6udp"));
        CulvertNode v6tcpNode = keep(CulvertNode.withKeysFromTestJvm(culvert, v6tcp, "v6tcp"));
        CulvertNode v4tapNode = keep(CulvertNode.withKeysFromTestJvm(culvert, v4tap, "v4tap"));
        roamcvNode = keep(CulvertNode.withKeysFromTestJvm(culvert, roamcv, "roamcv"));
        WireGuardGoNode wg6Node = keep(new WireGuardGoNode(wg6, "wg6"));
        roamwgNode = keep(new WireGuardGoNode(roamwg, "roamwg"));
        serverKey = sNode.publicKey();

        DaemonConfig serverConfig = DaemonConfig.of(sNode).listenUdpAll(PORT).listenTcpAll(PORT)
                .tunnel(TunnelBlock.tun("v6udp", "cv6u", IN_V6UDP_S + "/64", v6udpNode.publicKey(), IN_V6UDP_C + "/128"))
                .tunnel(TunnelBlock.tun("v6tcp", "cv6t", IN_V6TCP_S + "/30", v6tcpNode.publicKey(), IN_V6TCP_C + "/32")
                        .withTransport(TunnelBlock.TCP))
                .tunnel(TunnelBlock.tap("v4tap", "cv4tap", v4tapNode.publicKey()).withAddress(IN_TAP_S + "/64"))
                .tunnel(TunnelBlock.tun("wg6", "cvwg6", IN_WG6_S + "/30", wg6Node.publicKey(), IN_WG6_C + "/32"))
                .tunnel(TunnelBlock.tun("roamwg", "cvrwg", IN_ROAMWG_S + "/30", roamwgNode.publicKey(), IN_ROAMWG_C + "/32"))
                .tunnel(TunnelBlock.tun("roamcv", "cvrcv", IN_ROAMCV_S + "/30", roamcvNode.publicKey(), IN_ROAMCV_C + "/32"));
        server = Daemons.launch(sNode, serverConfig);
        BackgroundProcess v6udpProcess = Daemons.launch(v6udpNode, DaemonConfig.of(v6udpNode)
                .tunnel(TunnelBlock.tun("v6udp", "cv6u", IN_V6UDP_C + "/64", serverKey, IN_V6UDP_S + "/128")
                        .withEndpoint(bracketed(S_V6UDP))));
        BackgroundProcess v6tcpProcess = Daemons.launch(v6tcpNode, DaemonConfig.of(v6tcpNode)
                .tunnel(TunnelBlock.tun("v6tcp", "cv6t", IN_V6TCP_C + "/30", serverKey, IN_V6TCP_S + "/32")
                        .withTransport(TunnelBlock.TCP).withEndpoint(bracketed(S_V6TCP))));
        BackgroundProcess v4tapProcess = Daemons.launch(v4tapNode, DaemonConfig.of(v4tapNode)
                .tunnel(TunnelBlock.tap("v4tap", "cv4tap", serverKey).withAddress(IN_TAP_C + "/64")
                        .withEndpoint(S_V4TAP + ":" + PORT)));
        roamcvProcess = Daemons.launch(roamcvNode, roamcvConfig(S_ROAMCV_V4 + ":" + PORT));
        processes.addAll(List.of(server, v6udpProcess, v6tcpProcess, v4tapProcess, roamcvProcess));
        Daemons.awaitRunning(sNode, server, List.of("cv6u", "cv6t", "cv4tap", "cvwg6", "cvrwg", "cvrcv"), START_WITHIN);
        Daemons.awaitRunning(v6udpNode, v6udpProcess, List.of("cv6u"), START_WITHIN);
        Daemons.awaitRunning(v6tcpNode, v6tcpProcess, List.of("cv6t"), START_WITHIN);
        Daemons.awaitRunning(v4tapNode, v4tapProcess, List.of("cv4tap"), START_WITHIN);
        Daemons.awaitRunning(roamcvNode, roamcvProcess, List.of("cvrcv"), START_WITHIN);

        wg6Node.start(Optional.empty(), LinkSpec.of("wg0", IN_WG6_C + "/30"),
                PeerSpec.of(serverKey, IN_WG6_S + "/32").withEndpoint(bracketed(S_WG6)));
        roamwgNode.start(Optional.empty(), LinkSpec.of("wg0", IN_ROAMWG_C + "/30"),
                PeerSpec.of(serverKey, IN_ROAMWG_S + "/32").withEndpoint(S_ROAMWG_V4 + ":" + PORT));
    }

    @BeforeEach
    void keepLogsOfTheSharedProcesses() {
        // FailureLogs forgets the processes before each test; these were started once for the class.
        for (BackgroundProcess process : processes) {
            FailureLogs.register(process.label() + " stderr", process.stderrFile());
        }
    }

    @AfterAll
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    /** (a) No IPv4 on the underlay at all: Culvert to Culvert over UDP, IPv6 inside the tunnel too. */
    @Test
    void ipv6OnlyUnderlayOverUdp() {
        requireIpv6Only(v6udpUnderlay);
        Ping.awaitReply(v6udp, IN_V6UDP_S);
        Ping.awaitReply(s, IN_V6UDP_C);
        assertThat(Metrics.endpoint(Metrics.scrape(s), "v6udp")).startsWith("[" + C_V6UDP + "]:");
    }

    /** (a) No IPv4 on the underlay at all: Culvert to Culvert over TCP, one connection to [v6]:51820. */
    @Test
    void ipv6OnlyUnderlayOverTcp() {
        requireIpv6Only(v6tcpUnderlay);
        Ping.awaitReply(v6tcp, IN_V6TCP_S);
        Ping.awaitReply(s, IN_V6TCP_C);
        assertThat(v6tcp.exec("ss", "-Htn", "state", "established").stdout())
                .as("the client's TCP connection to the server's IPv6 listener")
                .contains("[" + S_V6TCP + "]:" + PORT);
    }

    /** (b) One dual-stack socket on {@code :51820}: an IPv4 and an IPv6 peer at once. */
    @Test
    void dualStackListenServesIpv4AndIpv6PeersAtOnce() {
        Ping.awaitReply(v6udp, IN_V6UDP_S);
        Ping.awaitReply(v4tap, IN_TAP_S);
        // Both peers at the same time, each with a burst of echoes through the one socket.
        try (BackgroundProcess overIpv6 = v6udp.spawn("burst-v6", burst(IN_V6UDP_S));
             BackgroundProcess overIpv4 = v4tap.spawn("burst-v4", burst(IN_TAP_S))) {
            for (BackgroundProcess burst : List.of(overIpv6, overIpv4)) {
                assertThat(burst.awaitExit(BURST_WITHIN)).as("%s: %s", burst.label(), burst.stdout()).isZero();
                assertThat(burst.stdout()).as(burst.label()).contains(BURST + " packets transmitted, " + BURST + " received");
            }
        }
        String scrape = Metrics.scrape(s);
        assertThat(Metrics.endpoint(scrape, "v6udp")).startsWith("[" + C_V6UDP + "]:");
        assertThat(Metrics.endpoint(scrape, "v4tap")).startsWith(C_V4TAP + ":");
        assertThat(s.exec("ss", "-Hlun", "sport", "= :" + PORT).stdout().strip().lines())
                .as("UDP sockets on port %d in the server's namespace", PORT)
                .hasSize(1).allMatch(line -> line.contains("[::]:" + PORT) || line.contains("*:" + PORT));
    }

    /** (c) IPv6 inside the tunnel, tun and tap: ping6 and a short iperf3 through each. */
    @Test
    void ipv6InsideTunAndTap() {
        Ping.awaitReply(v6udp, IN_V6UDP_S);
        Ping.awaitReply(v4tap, IN_TAP_S);
        Ping.awaitReply(s, IN_TAP_C);
        Iperf.Result tun = Iperf.run(s, IN_V6UDP_S, v6udp, IPERF_SECONDS);
        assertThat(tun.bytesReceived()).as("bytes iperf3 carried over IPv6 through the tun tunnel").isPositive();
        Iperf.Result tap = Iperf.run(v4tap, IN_TAP_C, s, IPERF_SECONDS);
        assertThat(tap.bytesReceived()).as("bytes iperf3 carried over IPv6 through the tap tunnel").isPositive();
    }

    /** (e) wireguard-go dials Culvert at {@code [2001:db8:5::1]:51820} over an IPv6-only underlay. */
    @Test
    void wireGuardGoOverIpv6Underlay() {
        requireIpv6Only(wg6Underlay);
        Ping.awaitReply(wg6, IN_WG6_S);
        Ping.awaitReply(s, IN_WG6_C);
        assertThat(Metrics.endpoint(Metrics.scrape(s), "wg6")).startsWith("[" + C_WG6 + "]:");
    }

    /**
     * (d) Roaming within a session: wireguard-go moves its endpoint from the server's IPv4 to its IPv6 address
     * ({@code wg set ... endpoint}); its next data packet comes from its own IPv6 address and the server answers
     * there, with no new handshake (WireGuard's endpoint roaming, whitepaper section 2.1).
     */
    @Test
    void serverFollowsAPeerThatRoamsFromIpv4ToIpv6() {
        Ping.awaitReply(roamwg, IN_ROAMWG_S);
        String before = Metrics.scrape(s);
        assertThat(Metrics.endpoint(before, "roamwg")).startsWith(C_ROAMWG_V4 + ":");
        double handshakes = Metrics.value(before, "culvert_tunnel_handshakes_completed_total{tunnel=\"roamwg\"}");

        roamwgNode.setPeerEndpoint(serverKey, bracketed(S_ROAMWG_V6));
        Ping.awaitReply(roamwg, IN_ROAMWG_S);
        await("the server's endpoint for roamwg on IPv6").atMost(ROAM_WITHIN).pollInterval(Duration.ofMillis(200))
                .until(() -> Metrics.endpoint(Metrics.scrape(s), "roamwg").startsWith("[" + C_ROAMWG_V6 + "]:"));
        // With the client's IPv4 address gone, the server's own ping can only travel to the IPv6 endpoint.
        roamwg.ip("addr", "del", C_ROAMWG_V4 + "/24", "dev", roamwgUnderlay);
        Ping.awaitReply(s, IN_ROAMWG_C);
        assertThat(Metrics.value(Metrics.scrape(s), "culvert_tunnel_handshakes_completed_total{tunnel=\"roamwg\"}"))
                .as("handshakes of roamwg: the move needed none").isEqualTo(handshakes);
    }

    /**
     * (d) A Culvert client reloaded with the server's IPv6 address instead of its IPv4 one (the live tunnel moves
     * to it in place and handshakes there): the server follows, and traffic goes on both ways.
     */
    @Test
    void serverFollowsACulvertClientReloadedFromIpv4ToIpv6() {
        Ping.awaitReply(roamcv, IN_ROAMCV_S);
        assertThat(Metrics.endpoint(Metrics.scrape(s), "roamcv")).startsWith(C_ROAMCV_V4 + ":");

        roamcvNode.writeConfig(roamcvConfig(bracketed(S_ROAMCV_V6)).render());
        roamcvProcess.signal("HUP");
        Daemons.awaitLog(roamcvProcess, "reloaded:", ROAM_WITHIN);
        Ping.awaitReply(roamcv, IN_ROAMCV_S);
        await("the server's endpoint for roamcv on IPv6").atMost(ROAM_WITHIN).pollInterval(Duration.ofMillis(200))
                .until(() -> Metrics.endpoint(Metrics.scrape(s), "roamcv").startsWith("[" + C_ROAMCV_V6 + "]:"));
        Ping.awaitReply(s, IN_ROAMCV_C);
        Daemons.requireAlive(server);
    }

    /** The veth {@code dev} has no IPv4 address on either end, only IPv6. */
    private void requireIpv6Only(String dev) {
        for (Netns end : List.of(s, v6udp, v6tcp, wg6)) {
            if (end.hasLink(dev)) {
                assertThat(end.exec("ip", "-4", "-o", "addr", "show", "dev", dev).stdout())
                        .as("IPv4 addresses on underlay %s in %s", dev, end).isBlank();
                assertThat(end.exec("ip", "-6", "-o", "addr", "show", "dev", dev, "scope", "global").stdout())
                        .as("IPv6 addresses on underlay %s in %s", dev, end).isNotBlank();
            }
        }
    }

    private DaemonConfig roamcvConfig(String endpoint) {
        return DaemonConfig.of(roamcvNode)
                .tunnel(TunnelBlock.tun("roamcv", "cvrcv", IN_ROAMCV_C + "/30", serverKey, IN_ROAMCV_S + "/32")
                        .withEndpoint(endpoint));
    }

    /** {@value #BURST} echoes 50 ms apart, each waited for up to 2 s. */
    private static String[] burst(String to) {
        return new String[] {"ping", "-n", "-c", Integer.toString(BURST), "-i", "0.05", "-W", "2", to};
    }

    private static String bracketed(String v6) {
        return "[" + v6 + "]:" + PORT;
    }

    private <T extends AutoCloseable> T keep(T resource) {
        open.add(resource);
        return resource;
    }
}
