package dev.culvert.daemon.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.protocol.Counters;
import dev.culvert.protocol.Peer;
import dev.culvert.protocol.testing.MemoryLink;
import dev.culvert.protocol.testing.Packets;
import io.netty.buffer.Unpooled;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two engines over memory, their counters behind a real HTTP scrape on 127.0.0.1:0. */
class MetricsServerTest {
    private final MemoryLink link = new MemoryLink();
    private DaemonMetrics metrics;
    private MetricsServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    /** A view of a MemoryLink side, as a Tunnel gives the daemon's registry. */
    private record PeerView(String name, Peer peer) implements TunnelView {
        @Override
        public Counters counters() {
            return peer.counters();
        }

        @Override
        public long lastHandshakeEpochMillis() {
            return peer.lastHandshakeEpochMillis();
        }

        @Override
        public boolean up() {
            return peer.lastHandshakeEpochMillis() != 0;
        }

        @Override
        public Peer.State state() {
            return up() ? Peer.State.UP : Peer.State.CONNECTING;
        }

        @Override
        public InetSocketAddress endpoint() {
            return peer.endpoint();
        }
    }

    @BeforeEach
    void start() throws Exception {
        metrics = new DaemonMetrics(() -> java.util.List.of(link.a.engine.counters()));
        metrics.addTunnel(new PeerView("t1", link.a.peer));
        server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), metrics);
    }

    @AfterEach
    void stop() {
        server.close();
        metrics.close();
        link.releaseAll();
    }

    @Test
    void countersMoveAfterTraffic() throws Exception {
        String before = scrape();
        assertThat(value(before, "culvert_tunnel_sent_bytes_total{tunnel=\"t1\"}")).isZero();
        assertThat(value(before, "culvert_tunnel_up{tunnel=\"t1\"}")).isZero();
        assertThat(before).contains("culvert_tunnel_last_handshake_age_seconds{tunnel=\"t1\"} NaN");

        for (int i = 0; i < 5; i++) {
            link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 100));
            link.pump();
            link.b.peer.send(Packets.ipv4("198.18.0.2", "198.18.0.1", 200));
            link.pump();
        }
        link.a.engine.receive(Unpooled.wrappedBuffer(new byte[] {9, 9, 9}), MemoryLink.B_ADDR);

        String after = scrape();
        assertThat(value(after, "culvert_tunnel_sent_bytes_total{tunnel=\"t1\"}")).isGreaterThanOrEqualTo(500);
        assertThat(value(after, "culvert_tunnel_received_bytes_total{tunnel=\"t1\"}")).isGreaterThanOrEqualTo(1000);
        assertThat(value(after, "culvert_tunnel_sent_packets_total{tunnel=\"t1\"}")).isGreaterThanOrEqualTo(5);
        assertThat(value(after, "culvert_tunnel_handshakes_completed_total{tunnel=\"t1\"}")).isEqualTo(1);
        assertThat(value(after, "culvert_tunnel_up{tunnel=\"t1\"}")).isEqualTo(1);
        // The link runs on a frozen clock: the age is finite, not NaN.
        assertThat(value(after, "culvert_tunnel_last_handshake_age_seconds{tunnel=\"t1\"}")).isGreaterThanOrEqualTo(0.0);
        assertThat(value(after, "culvert_interface_drops_packets_total{reason=\"malformed\"}")).isEqualTo(1);
        assertThat(after).contains("culvert_tunnel_drops_packets_total{reason=\"replay\",tunnel=\"t1\"} 0");
        assertThat(after).contains("culvert_tunnel_endpoint{endpoint=\"192.0.2.2:51820\",tunnel=\"t1\"} 1");
        assertThat(after).contains("jvm_memory_used_bytes", "jvm_threads_live_threads", "jvm_gc_",
                "culvert_netty_pool_used_direct_bytes");
    }

    @Test
    void aRemovedTunnelLeavesNoSeriesAndOtherPathsAre404() throws Exception {
        metrics.removeTunnel("t1");
        assertThat(scrape()).doesNotContain("tunnel=\"t1\"");
        HttpResponse<String> other = http.send(HttpRequest.newBuilder(uri("/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).isEqualTo(404);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.address().getPort() + path);
    }

    private String scrape() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri(MetricsServer.PATH)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("text/plain"));
        return response.body();
    }

    /** The value of the one series {@code series} (name and labels exactly as rendered). */
    static double value(String scrape, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
        assertThat(m.find()).as("series %s in:%n%s", series, scrape).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
