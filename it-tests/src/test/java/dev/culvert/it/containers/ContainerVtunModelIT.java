package dev.culvert.it.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * VTUN's operating model in site containers: the TCP transport, a tap tunnel bridging one L2 segment across
 * two sites, and three clients on one server at once.
 */
@ContainerTest
class ContainerVtunModelIT {

    private static final int IPERF_SECONDS = 2;
    private static final String BRIDGE = "br0";
    private static final int CLIENTS = 3;
    private static final int FIRST_CLIENT_HOST = 21;
    private static final int CONCURRENT_PINGS = 10;
    private static final int PING_PAYLOAD = 56;

    @Test
    void tcpTunnelCarriesPingBothWaysAndIperf() {
        try (SitePair sites = SitePair.create().startTun("tcp")) {
            ContainerTraffic.awaitPing(sites.b(), SitePair.TUNNEL_IP_A);
            ContainerTraffic.awaitPing(sites.a(), SitePair.TUNNEL_IP_B);

            long bytes = ContainerTraffic.iperf(sites.b(), SitePair.TUNNEL_IP_B, sites.a(), IPERF_SECONDS);
            assertThat(bytes).as("bytes iperf3 carried from site-a to site-b through the TCP tunnel").isPositive();
        }
    }

    @Test
    void tapTunnelBridgesOneEthernetSegmentAcrossTheSites() {
        try (SitePair sites = SitePair.create().start("udp", TunnelSpec::asTapPort)) {
            String macA = bridge(sites.a(), SitePair.TUNNEL_IP_A);
            String macB = bridge(sites.b(), SitePair.TUNNEL_IP_B);

            ContainerTraffic.awaitPing(sites.b(), SitePair.TUNNEL_IP_A);
            ContainerTraffic.awaitPing(sites.a(), SitePair.TUNNEL_IP_B);
            long bytes = ContainerTraffic.iperf(sites.b(), SitePair.TUNNEL_IP_B, sites.a(), IPERF_SECONDS);
            assertThat(bytes).as("bytes iperf3 carried across the bridged segment").isPositive();

            // One segment: each side resolved the other's bridge address by ARP, straight to the other's MAC.
            assertThat(sites.a().run("ip", "neigh", "show", SitePair.TUNNEL_IP_B, "dev", BRIDGE))
                    .as("site-a's neighbour entry for site-b").contains(macB);
            assertThat(sites.b().run("ip", "neigh", "show", SitePair.TUNNEL_IP_A, "dev", BRIDGE))
                    .as("site-b's neighbour entry for site-a").contains(macA);
        }
    }

    @Test
    void threeClientsUseOneServerAtOnce() {
        try (SiteNetwork network = SiteNetwork.create();
             SiteContainer server = new SiteContainer("server", network, FIRST_CLIENT_HOST - 1);
             SiteContainer c1 = new SiteContainer("client-1", network, FIRST_CLIENT_HOST);
             SiteContainer c2 = new SiteContainer("client-2", network, FIRST_CLIENT_HOST + 1);
             SiteContainer c3 = new SiteContainer("client-3", network, FIRST_CLIENT_HOST + 2)) {
            List<SiteContainer> clients = List.of(c1, c2, c3);
            SiteConfig serverConfig = new SiteConfig().listenUdp(SitePair.PORT);
            for (int i = 1; i <= CLIENTS; i++) {
                serverConfig.tunnel(TunnelSpec.tun("c" + i, "cv" + i, serverIp(i) + SitePair.TUNNEL_PREFIX,
                        clients.get(i - 1).publicKey(), clientIp(i) + "/32"));
            }
            server.start(serverConfig);
            for (int i = 1; i <= CLIENTS; i++) {
                clients.get(i - 1).start(new SiteConfig().tunnel(
                        TunnelSpec.tun("server", SitePair.DEVICE, clientIp(i) + SitePair.TUNNEL_PREFIX,
                                        server.publicKey(), serverIp(i) + "/32")
                                .withEndpoint(server.address() + ":" + SitePair.PORT)
                                .withKeepalive(SitePair.KEEPALIVE_SECONDS)));
            }

            List<CompletableFuture<Integer>> pings = new ArrayList<>();
            for (int i = 1; i <= CLIENTS; i++) {
                SiteContainer client = clients.get(i - 1);
                String target = serverIp(i);
                pings.add(CompletableFuture.supplyAsync(() -> {
                    ContainerTraffic.awaitPing(client, target);
                    return ContainerTraffic.ping(client, target, CONCURRENT_PINGS, PING_PAYLOAD);
                }));
            }
            for (int i = 1; i <= CLIENTS; i++) {
                assertThat(pings.get(i - 1).join()).as("pings from client-" + i + " answered, all clients at once")
                        .isPositive();
            }
            for (int i = 1; i <= CLIENTS; i++) {
                ContainerTraffic.awaitPing(server, clientIp(i));
            }
        }
    }

    /** Makes a bridge of the tap device with {@code address} on it; returns the bridge's MAC. */
    private static String bridge(SiteContainer site, String address) {
        site.run("ip", "link", "add", BRIDGE, "type", "bridge");
        site.run("ip", "link", "set", SitePair.DEVICE, "master", BRIDGE);
        site.run("ip", "link", "set", SitePair.DEVICE, "up");
        site.run("ip", "address", "add", address + SitePair.TUNNEL_PREFIX, "dev", BRIDGE);
        site.run("ip", "link", "set", BRIDGE, "up");
        return site.run("cat", "/sys/class/net/" + BRIDGE + "/address").strip();
    }

    private static String serverIp(int client) {
        return "198.18." + client + ".1";
    }

    private static String clientIp(int client) {
        return "198.18." + client + ".2";
    }
}
