package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.ExecResult;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.DaemonConfig;
import dev.culvert.it.node.Daemons;
import dev.culvert.it.node.TunnelBlock;
import dev.culvert.it.traffic.Ping;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * Many tunnels in one daemon (issue 3, item 6): one server hosts a tunnel per client on one UDP port and one TCP
 * port, told apart by the clients' keys; three clients over UDP and a fourth over TCP, each in its own namespace with
 * its own key, all pinging at once.
 *
 * <pre>
 *  client-1 [192.0.2.2]    ---- veth ---- [192.0.2.1]    server  (udp and tcp on 192.0.2.1:51820)
 *  client-2 [198.51.100.2] ---- veth ---- [198.51.100.1] server
 *  client-3 [203.0.113.2]  ---- veth ---- [203.0.113.1]  server
 *  client-4 [192.0.2.130]  ---- veth ---- [192.0.2.129]  server  (tcp)
 * </pre>
 * Clients off 192.0.2.0/24 reach the listener's address through their veth. Tunnel i: 198.18.i.1/30 on the server,
 * 198.18.i.2/30 on client i.
 */
@RequiresNetns
class ManyTunnelsIT {

    private static final String SERVER_IP = "192.0.2.1";
    private static final String LISTEN = SERVER_IP + ":51820";
    /** Per client: the server's end of their veth, the client's end, the prefix length, the transport. */
    private static final List<String[]> UNDERLAYS = List.of(
            new String[] {"192.0.2.1", "192.0.2.2", "/25", TunnelBlock.UDP},
            new String[] {"198.51.100.1", "198.51.100.2", "/24", TunnelBlock.UDP},
            new String[] {"203.0.113.1", "203.0.113.2", "/24", TunnelBlock.UDP},
            new String[] {"192.0.2.129", "192.0.2.130", "/25", TunnelBlock.TCP});
    private static final String CLIENT_DEVICE = "cv0";
    private static final int KEEPALIVE_SECONDS = 5;
    private static final int PINGS = 20;
    private static final Duration STEADY_PING_LIMIT = Duration.ofSeconds(30);

    @Test
    void oneServerCarriesEveryClientAtOnce() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        List<Netns> namespaces = new ArrayList<>();
        List<CulvertNode> nodes = new ArrayList<>();
        ExecutorService pingers = Executors.newFixedThreadPool(UNDERLAYS.size());
        try {
            Netns server = track(namespaces, Netns.create("srv"));
            CulvertNode serverNode = track(nodes, new CulvertNode(culvert, server, "server"));
            List<Netns> clients = new ArrayList<>();
            List<CulvertNode> clientNodes = new ArrayList<>();
            for (int i = 1; i <= UNDERLAYS.size(); i++) {
                String[] underlay = UNDERLAYS.get(i - 1);
                Netns client = track(namespaces, Netns.create("cl" + i));
                server.veth(client, underlay[0] + underlay[2], underlay[1] + underlay[2]);
                if (!underlay[0].equals(SERVER_IP)) {
                    client.ip("route", "add", SERVER_IP + "/32", "via", underlay[0]);
                }
                clients.add(client);
                clientNodes.add(track(nodes, new CulvertNode(culvert, client, "client-" + i)));
            }

            DaemonConfig serverConfig = DaemonConfig.of(serverNode).listenUdp(LISTEN).listenTcp(LISTEN);
            List<String> serverDevices = new ArrayList<>();
            for (int i = 1; i <= UNDERLAYS.size(); i++) {
                serverConfig.tunnel(TunnelBlock.tun("client-" + i, "cv" + i, serverIp(i) + "/30",
                        clientNodes.get(i - 1).publicKey(), clientIp(i) + "/32").withTransport(transport(i)));
                serverDevices.add("cv" + i);
            }
            BackgroundProcess serverRun = Daemons.start(serverNode, serverConfig, serverDevices);
            List<BackgroundProcess> clientRuns = new ArrayList<>();
            for (int i = 1; i <= UNDERLAYS.size(); i++) {
                CulvertNode node = clientNodes.get(i - 1);
                clientRuns.add(Daemons.start(node, DaemonConfig.of(node).tunnel(TunnelBlock.tun("server", CLIENT_DEVICE,
                                clientIp(i) + "/30", serverNode.publicKey(), serverIp(i) + "/32")
                        .withTransport(transport(i)).withEndpoint(LISTEN).withKeepalive(KEEPALIVE_SECONDS)),
                        List.of(CLIENT_DEVICE)));
            }

            List<CompletableFuture<ExecResult>> pings = new ArrayList<>();
            for (int i = 1; i <= UNDERLAYS.size(); i++) {
                Netns client = clients.get(i - 1);
                String target = serverIp(i);
                pings.add(CompletableFuture.supplyAsync(() -> {
                    Ping.awaitReply(client, target);
                    return client.exec(STEADY_PING_LIMIT, "ping", "-n", "-q", "-c", Integer.toString(PINGS),
                            "-i", "0.2", "-W", "2", target);
                }, pingers));
            }
            for (int i = 1; i <= UNDERLAYS.size(); i++) {
                ExecResult result = pings.get(i - 1).join();
                assertThat(result.stdout()).as("client-%d (%s) pinging the server, all clients at once: %s", i,
                        transport(i), result.describe()).contains(PINGS + " received");
            }
            for (int i = 1; i <= UNDERLAYS.size(); i++) {
                Ping.awaitReply(server, clientIp(i));
            }
            Daemons.requireAlive(serverRun);
            clientRuns.forEach(Daemons::requireAlive);
            assertThat(serverRun.stderr()).as("server log").contains("listening on udp " + LISTEN)
                    .contains("listening on tcp " + LISTEN);
        } finally {
            pingers.shutdownNow();
            nodes.forEach(CulvertNode::close);
            namespaces.forEach(Netns::close);
        }
    }

    private static String transport(int client) {
        return UNDERLAYS.get(client - 1)[3];
    }

    private static String serverIp(int client) {
        return "198.18." + client + ".1";
    }

    private static String clientIp(int client) {
        return "198.18." + client + ".2";
    }

    private static <T> T track(List<? super T> list, T item) {
        list.add(item);
        return item;
    }
}
