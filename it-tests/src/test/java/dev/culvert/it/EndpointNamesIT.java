package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.NetnsHosts;
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
import org.junit.jupiter.api.Test;

/**
 * Endpoints given as names (issue 13, "names that move"), with real daemons: the client's names come from
 * {@code /etc/netns/<its namespace>/hosts} ({@link NetnsHosts}), which the test writes while the daemon runs.
 *
 * <ul>
 *   <li>a name that resolves late: the daemon runs, the tunnel is {@code connecting}, a second tunnel with a literal
 *       endpoint works meanwhile; once the name appears the tunnel comes up (UDP, and TCP, whose dialler looks up);
 *   <li>a server that moves (restarted on another underlay address, the name updated) is found again, with traffic
 *       flowing and idle with a persistent keepalive, the change logged once; over TCP the hanging old connection
 *       is dropped and the new address dialled.
 * </ul>
 * Site A ({@link TwoSites}) is the server, site B the client; the server moves from 192.0.2.1 to 198.51.100.1 on a
 * second veth between them.
 */
@RequiresNetns
class EndpointNamesIT {

    private static final String NAME = "server.culvert.test";
    private static final int PORT = TwoSites.PORT;
    private static final String DEVICE = "cv0";
    private static final String MOVED_A = "198.51.100.1";
    private static final String MOVED_B = "198.51.100.2";
    /** The client looks a never-resolved name up every 5 s; the rest is a handshake. */
    private static final Duration LATE_NAME_FOUND_WITHIN = Duration.ofSeconds(20);
    /**
     * A moved server under traffic: data unanswered for KEEPALIVE + REKEY_TIMEOUT (15 s) or the next handshake
     * retry (5 s) looks the name up; the changed answer handshakes at once.
     */
    private static final Duration MOVED_FOUND_UNDER_TRAFFIC_WITHIN = Duration.ofSeconds(30);
    private static final int IDLE_KEEPALIVE_SECONDS = 10;
    /** Idle: the next keepalive tick (every 10 s) of a peer silent for 15 s looks the name up. */
    private static final Duration MOVED_FOUND_IDLE_WITHIN = Duration.ofSeconds(30);

    @Test
    void aNameThatResolvesLateStopsNoOtherTunnelAndComesUpWhenItAppears() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (Netns s = Netns.create("s");
             Netns t = Netns.create("t");
             Netns c = Netns.create("c");
             NetnsHosts hosts = NetnsHosts.create(c);
             CulvertNode serverS = CulvertNode.withKeysFromTestJvm(culvert, s, "server-s");
             CulvertNode serverT = CulvertNode.withKeysFromTestJvm(culvert, t, "server-t");
             CulvertNode client = CulvertNode.withKeysFromTestJvm(culvert, c, "client")) {
            s.veth(c, "192.0.2.1/24", "192.0.2.2/24");
            t.veth(c, "203.0.113.1/24", "203.0.113.2/24");
            BackgroundProcess runS = Daemons.launch(serverS, DaemonConfig.of(serverS).listenUdp("192.0.2.1:" + PORT)
                    .tunnel(TunnelBlock.tun("t1", DEVICE, "198.18.0.1/30", client.publicKey(), "198.18.0.2/32")));
            BackgroundProcess runT = Daemons.launch(serverT, DaemonConfig.of(serverT).listenUdp("203.0.113.1:" + PORT)
                    .tunnel(TunnelBlock.tun("t2", DEVICE, "198.18.0.5/30", client.publicKey(), "198.18.0.6/32")));
            Daemons.awaitRunning(serverS, runS, List.of(DEVICE));
            Daemons.awaitRunning(serverT, runT, List.of(DEVICE));

            DaemonConfig clientConfig = DaemonConfig.of(client)
                    .tunnel(TunnelBlock.tun("t1", "cv1", "198.18.0.2/30", serverS.publicKey(), "198.18.0.1/32")
                            .withNamedEndpoint(NAME, PORT))
                    .tunnel(TunnelBlock.tun("t2", "cv2", "198.18.0.6/30", serverT.publicKey(), "198.18.0.5/32")
                            .withEndpoint("203.0.113.1:" + PORT));
            BackgroundProcess run = Daemons.start(client, clientConfig, List.of("cv1", "cv2"));

            Ping.awaitReply(c, "198.18.0.5"); // the literal tunnel works while the name does not resolve
            assertThat(client.show("t1")).as("the named tunnel").contains("state: connecting");
            assertThat(run.stderr()).contains("tunnel t1: cannot resolve peer endpoint " + NAME + ":" + PORT + " yet");

            hosts.put(NAME, "192.0.2.1");
            long t0 = System.nanoTime();
            Ping.awaitReply(c, "198.18.0.1", LATE_NAME_FOUND_WITHIN);
            System.out.printf("late name (udp): tunnel up %d ms after the name appeared%n", millisSince(t0));
            assertThat(client.show("t1")).contains("state: up", "endpoint: 192.0.2.1:" + PORT);
            assertThat(run.stderrCount(NAME + " resolves to 192.0.2.1:" + PORT)).isEqualTo(1);
            Ping.awaitReply(c, "198.18.0.5");
            Daemons.requireAlive(run);
        }
    }

    @Test
    void aTcpTunnelWhoseNameResolvesLateDialsOnceItAppears() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             NetnsHosts hosts = NetnsHosts.create(sites.b());
             CulvertNode a = CulvertNode.withKeysFromTestJvm(culvert, sites.a(), "server");
             CulvertNode b = CulvertNode.withKeysFromTestJvm(culvert, sites.b(), "client")) {
            Daemons.start(a, DaemonConfig.of(a).listenTcp(TwoSites.LISTEN_A)
                    .tunnel(TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_A, b.publicKey(), TwoSites.TUNNEL_IP_B + "/32")
                            .withTransport(TunnelBlock.TCP)), List.of(DEVICE));
            BackgroundProcess run = Daemons.start(b, DaemonConfig.of(b)
                    .tunnel(TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_B, a.publicKey(), TwoSites.TUNNEL_IP_A + "/32")
                            .withTransport(TunnelBlock.TCP).withNamedEndpoint(NAME, PORT)), List.of(DEVICE));
            assertThat(b.show("t1")).contains("state: connecting");

            hosts.put(NAME, TwoSites.UNDERLAY_A);
            long t0 = System.nanoTime();
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A, LATE_NAME_FOUND_WITHIN);
            System.out.printf("late name (tcp): tunnel up %d ms after the name appeared%n", millisSince(t0));
            assertThat(run.stderr()).contains("tunnel t1: connected to " + TwoSites.LISTEN_A);
            assertThat(run.stderrCount(NAME + " resolves to " + TwoSites.LISTEN_A)).isEqualTo(1);
        }
    }

    @Test
    void aServerThatMovesIsFoundAgainWithTrafficFlowing() {
        movedServerIsFound(false, TunnelBlock.UDP);
    }

    @Test
    void anIdleTunnelWithAPersistentKeepaliveFindsAServerThatMoved() {
        movedServerIsFound(true, TunnelBlock.UDP);
    }

    /**
     * Over TCP the old connection hangs (the server's address goes before the server, so no FIN or RST ever
     * reaches the client): only the changed answer makes the dialler drop it and dial the new address.
     */
    @Test
    void aTcpTunnelRedialsAServerThatMovedWithTrafficFlowing() {
        movedServerIsFound(false, TunnelBlock.TCP);
    }

    private static void movedServerIsFound(boolean idle, String transport) {
        boolean tcp = transport.equals(TunnelBlock.TCP);
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             NetnsHosts hosts = NetnsHosts.create(sites.b());
             CulvertNode a = CulvertNode.withKeysFromTestJvm(culvert, sites.a(), "server");
             CulvertNode b = CulvertNode.withKeysFromTestJvm(culvert, sites.b(), "client")) {
            sites.a().veth(sites.b(), MOVED_A + "/24", MOVED_B + "/24");
            hosts.put(NAME, TwoSites.UNDERLAY_A);
            TunnelBlock serverTunnel = TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_A, b.publicKey(),
                    TwoSites.TUNNEL_IP_B + "/32").withTransport(transport);
            BackgroundProcess server = Daemons.start(a, listen(DaemonConfig.of(a), tcp, TwoSites.LISTEN_A)
                    .tunnel(serverTunnel), List.of(DEVICE));
            TunnelBlock clientTunnel = TunnelBlock.tun("t1", DEVICE, TwoSites.TUNNEL_B, a.publicKey(),
                    TwoSites.TUNNEL_IP_A + "/32").withNamedEndpoint(NAME, PORT).withTransport(transport);
            BackgroundProcess client = Daemons.start(b, DaemonConfig.of(b)
                    .tunnel(idle ? clientTunnel.withKeepalive(IDLE_KEEPALIVE_SECONDS) : clientTunnel), List.of(DEVICE));
            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
            if (!idle) {
                sites.b().spawn("ping-flow", "ping", "-n", "-q", "-i", "0.5", TwoSites.TUNNEL_IP_A);
            }

            // The server moves: its old address gone (first: nothing it sends on stopping reaches the client),
            // stopped, started again on the other underlay.
            sites.a().ip("addr", "del", TwoSites.UNDERLAY_A + "/" + TwoSites.UNDERLAY_PREFIX, "dev", sites.underlayDevice());
            assertThat(server.terminate(CulvertNode.STOP_TIMEOUT)).as("server exit code").isZero();
            String movedListen = MOVED_A + ":" + PORT;
            BackgroundProcess moved = a.launch(a.writeConfig(listen(DaemonConfig.of(a), tcp, movedListen)
                    .tunnel(serverTunnel).render()), "culvert-server-moved");
            Daemons.awaitRunning(a, moved, List.of(DEVICE));
            hosts.put(NAME, MOVED_A);
            long t0 = System.nanoTime();

            if (idle) {
                // no traffic at all: the client's keepalives alone must find the server (a handshake shows there)
                await("a handshake at the moved server, with no traffic").atMost(MOVED_FOUND_IDLE_WITHIN)
                        .pollInterval(Duration.ofMillis(500))
                        .until(() -> a.show("t1").contains("latest handshake:"));
                System.out.printf("moved server (idle, keepalive %d s): handshake %d ms after the name changed%n",
                        IDLE_KEEPALIVE_SECONDS, millisSince(t0));
                Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A, Duration.ofSeconds(5));
            } else {
                Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A, MOVED_FOUND_UNDER_TRAFFIC_WITHIN);
                System.out.printf("moved server (%s, traffic): ping %d ms after the name changed%n", transport,
                        millisSince(t0));
            }
            assertThat(b.show("t1")).contains("state: up", "endpoint: " + movedListen);
            String log = client.stderr();
            assertThat(client.stderrCount(NAME + " resolves to " + movedListen)).as("the change, logged once; log:%n%s", log)
                    .isEqualTo(1);
            assertThat(log).contains(NAME + " resolves to " + movedListen + " (was " + TwoSites.LISTEN_A + ")");
            if (tcp) {
                assertThat(log).contains("tunnel t1: the endpoint moved; redialling", "connected to " + movedListen);
            }
            Daemons.requireAlive(client);
        }
    }

    private static DaemonConfig listen(DaemonConfig config, boolean tcp, String hostPort) {
        return tcp ? config.listenTcp(hostPort) : config.listenUdp(hostPort);
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
