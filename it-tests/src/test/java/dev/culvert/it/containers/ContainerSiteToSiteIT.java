package dev.culvert.it.containers;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Culvert as an operator deploys it: two sites, each a container with the {@code .deb} installed, joined by a
 * Docker network and configured from a HOCON file, tun mode over UDP.
 *
 * <p>The last two tests read the metrics endpoint and {@code culvert show} inside the containers.
 */
@ContainerTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainerSiteToSiteIT {

    private static final int IPERF_SECONDS = 2;
    private static final int PINGS = 20;
    private static final int PING_PAYLOAD = 1000;

    @Test
    @Order(1)
    void udpTunnelCarriesPingBothWaysAndIperf() {
        try (SitePair sites = SitePair.create().startTun("udp")) {
            ContainerTraffic.awaitPing(sites.b(), SitePair.TUNNEL_IP_A); // the client speaks first
            ContainerTraffic.awaitPing(sites.a(), SitePair.TUNNEL_IP_B); // then the server knows where it is

            long bytes = ContainerTraffic.iperf(sites.b(), SitePair.TUNNEL_IP_B, sites.a(), IPERF_SECONDS);
            assertThat(bytes).as("bytes iperf3 carried from site-a to site-b through the tunnel").isPositive();
        }
    }

    @Test
    @Order(2)
    void restartedClientSiteComesBackWithoutTouchingTheServer() {
        try (SitePair sites = SitePair.create().startTun("udp")) {
            ContainerTraffic.awaitPing(sites.b(), SitePair.TUNNEL_IP_A);
            ContainerTraffic.awaitPing(sites.a(), SitePair.TUNNEL_IP_B);
            String serverStarted = sites.a().startedAt();
            String clientStarted = sites.b().startedAt();

            sites.b().restart(); // SIGTERM to its daemon, then the same container, config and key start again

            assertThat(sites.b().startedAt()).as("site-b was really restarted").isNotEqualTo(clientStarted);
            // Nothing is done to site-a: site-b's daemon handshakes again by itself (its persistent keepalive),
            // and site-a answers, learning the new source port from the authenticated handshake.
            ContainerTraffic.awaitPing(sites.a(), SitePair.TUNNEL_IP_B);
            ContainerTraffic.awaitPing(sites.b(), SitePair.TUNNEL_IP_A);
            assertThat(sites.a().startedAt()).as("site-a was left alone").isEqualTo(serverStarted);
        }
    }

    @Test
    @Order(3)
    void metricsAgreeWithTheTrafficSent() {
        try (SitePair sites = SitePair.create().startTun("udp")) {
            Traffic sent = pingThrough(sites);

            SiteReadout metrics = SiteReadout.metrics(sites.a(), SitePair.TUNNEL);
            assertThat(metrics.sentBytes()).as("site-a's culvert_tunnel_sent_bytes_total{tunnel=\"t1\"}")
                    .isGreaterThanOrEqualTo(sent.sentAtLeast());
            assertThat(metrics.receivedBytes()).as("site-a's culvert_tunnel_received_bytes_total{tunnel=\"t1\"}")
                    .isGreaterThanOrEqualTo(sent.receivedAtLeast());
            assertThat(SiteReadout.metrics(sites.b(), SitePair.TUNNEL).receivedBytes())
                    .as("site-b's culvert_tunnel_received_bytes_total{tunnel=\"t1\"}")
                    .isGreaterThanOrEqualTo(sent.sentAtLeast());
        }
    }

    /** {@code culvert show} (the control socket) and the metrics agree with the traffic sent. */
    @Test
    @Order(4)
    void showAgreesWithTheTrafficSent() {
        try (SitePair sites = SitePair.create().startTun("udp")) {
            Traffic sent = pingThrough(sites);

            SiteReadout show = SiteReadout.show(sites.a(), SitePair.TUNNEL);
            assertThat(show.text()).as("culvert show names the peer").contains(sites.b().publicKey());
            assertThat(show.sentBytes()).as("bytes sent to site-b in culvert show")
                    .isGreaterThanOrEqualTo(sent.sentAtLeast());
            assertThat(show.receivedBytes()).as("bytes received from site-b in culvert show")
                    .isGreaterThanOrEqualTo(sent.receivedAtLeast());
        }
    }

    /** Inner bytes that {@link #pingThrough} sent from site-a to site-b and got back, at least. */
    private record Traffic(long sentAtLeast, long receivedAtLeast) {
    }

    /** Brings the tunnel up from the client side, then pings site-b from site-a a known number of times. */
    private static Traffic pingThrough(SitePair sites) {
        ContainerTraffic.awaitPing(sites.b(), SitePair.TUNNEL_IP_A);
        int answered = ContainerTraffic.ping(sites.a(), SitePair.TUNNEL_IP_B, PINGS, PING_PAYLOAD);
        assertThat(answered).as("pings answered through the tunnel").isPositive();
        long packet = PING_PAYLOAD + ContainerTraffic.ICMP_OVERHEAD;
        return new Traffic(PINGS * packet, answered * packet);
    }
}
