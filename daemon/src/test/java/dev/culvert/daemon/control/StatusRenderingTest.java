package dev.culvert.daemon.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control protocol's JSON both ways, the wg-style text, and the socket itself. */
class StatusRenderingTest {
    private static final String OUR_KEY = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
    private static final String PEER_KEY = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";
    private static final long NOW = 1_700_000_000L;

    static Status sample() {
        Status.TunnelStatus t1 = new Status.TunnelStatus("t1", "up", "cv0", "tun", "udp", "off", PEER_KEY,
                "192.0.2.2:51820", List.of("198.18.0.2/32", "198.51.100.0/24"), NOW - 65, 1536, 2_621_440, 12, 20,
                1, 0, 25, Map.of("replay", 3L));
        Status.TunnelStatus t2 = new Status.TunnelStatus("t2 \"quoted\"", "down", "cv1", "tap", "tcp", "lz4", PEER_KEY, null,
                List.of(), 0, 0, 0, 0, 0, 0, 2, 0, Map.of());
        return new Status("site-a", "/etc/culvert/site-a.conf", OUR_KEY, 51820, List.of(t1, t2), Map.of("bad_mac", 1L));
    }

    @Test
    void jsonRoundTrips() {
        Status status = sample();
        String json = status.toJson();
        assertThat(json).doesNotContain("\n").startsWith("{\"version\":1,");
        assertThat(Status.fromJson(json)).isEqualTo(status);
    }

    @Test
    void textReadsLikeWgShow() {
        String text = StatusText.render(sample(), NOW);
        assertThat(text).contains(
                "instance: site-a\n  config: /etc/culvert/site-a.conf\n  public key: " + OUR_KEY + "\n  listening port: 51820\n  drops: bad_mac 1\n",
                "tunnel: t1\n  state: up\n  device: cv0 (tun)\n  transport: udp\n  peer: " + PEER_KEY + "\n"
                        + "    endpoint: 192.0.2.2:51820\n    allowed ips: 198.18.0.2/32, 198.51.100.0/24\n"
                        + "    latest handshake: 1 minute, 5 seconds ago\n"
                        + "    transfer: 1.50 KiB received, 2.50 MiB sent\n"
                        + "    persistent keepalive: every 25 seconds\n  drops: replay 3\n",
                "tunnel: t2 \"quoted\"\n  state: down\n  device: cv1 (tap)\n  transport: tcp, compression lz4\n",
                "    allowed ips: (none)\n  drops: none\n");
        assertThat(text).doesNotContain("latest handshake: Now");
    }

    @Test
    void aTunnelThatCouldNotStartSaysWhyAndWhenItIsTriedAgain() {
        Status.TunnelStatus failed = new Status.TunnelStatus("t3", "failed", "cv3", "tun", "udp", "off", PEER_KEY, null,
                List.of("198.18.2.2/32"), 0, 0, 0, 0, 0, 0, 0, 0, Map.of(), "tunnel t3: up hook 'false' failed", NOW + 8, 8);
        Status.TunnelStatus kept = new Status.TunnelStatus("t1", "up", "cv0", "tun", "udp", "off", PEER_KEY, null,
                List.of(), 0, 0, 0, 0, 0, 0, 0, 0, Map.of(), "tunnel t1: up hook 'false' failed", 0, 0);
        Status status = new Status(OUR_KEY, 0, List.of(kept, failed), Map.of());
        assertThat(Status.fromJson(status.toJson())).isEqualTo(status);
        assertThat(status.toJson()).contains("\"failure\":\"tunnel t3: up hook 'false' failed\",\"next_retry\":" + (NOW + 8));
        assertThat(sample().toJson()).doesNotContain("failure");
        assertThat(StatusText.render(status, NOW)).contains(
                "tunnel: t1\n  state: up\n  reload failed (previous settings restored; device re-created): tunnel t1: "
                        + "up hook 'false' failed\n",
                "tunnel: t3\n  state: failed\n  failed: tunnel t3: up hook 'false' failed; next retry in 8 s\n");
        // the daemon's count of the wait, not the client's clock: the same number as its log and STATUS= gave
        assertThat(StatusText.render(status, NOW + 3)).contains("next retry in 8 s\n");
    }

    @Test
    void aVtunLegacyTunnelIsShownInsecureInJsonAndText() {
        Status.TunnelStatus legacy = new Status.TunnelStatus("cobra", "up", "cv0", "tun", "vtun-legacy", "lzo:1", "",
                "192.0.2.2:5000", List.of(), NOW, 0, 0, 0, 0, 0, 0, 0, Map.of(), null, 0, 0, "vtun-legacy");
        Status status = new Status(OUR_KEY, 0, List.of(legacy), Map.of());
        assertThat(status.toJson()).contains("\"insecure\":\"vtun-legacy\"");
        assertThat(sample().toJson()).doesNotContain("insecure");
        assertThat(Status.fromJson(status.toJson())).isEqualTo(status);
        assertThat(StatusText.render(status, NOW)).contains("  transport: vtun-legacy, compression lzo:1\n"
                + "  insecure: vtun-legacy (no MAC, no replay protection, a password-derived static key)\n"
                + "  peer: (no key: vtund password)\n");
    }

    @Test
    void aLegacyClientShowsTheSessionSettingsInUseAndAServerItsListenPort() {
        Status.TunnelStatus legacy = new Status.TunnelStatus("lion", "up", "cv0", "tun", "vtun-legacy", "lzo:9", "",
                "192.0.2.2:5000", List.of(), NOW, 0, 0, 0, 0, 0, 0, 0, Map.of(), null, 0, 0, "vtun-legacy",
                "proto tcp, encrypt aes128cbc, compress lzo:9, keepalive no (the server's FLAGS <TuL9E7>)");
        Status status = new Status("site-a", null, OUR_KEY, 0, List.of(legacy), Map.of("vtun_unknown_session", 2L), 5000);
        assertThat(status.toJson()).contains("\"listen_port\":0,\"legacy_listen_port\":5000")
                .contains("\"legacy_session\":\"proto tcp, encrypt aes128cbc");
        assertThat(sample().toJson()).doesNotContain("legacy_listen_port").doesNotContain("legacy_session");
        assertThat(Status.fromJson(status.toJson())).isEqualTo(status);
        assertThat(StatusText.render(status, NOW)).contains("  listening port (vtun-legacy, tcp): 5000\n")
                .contains("  drops: vtun_unknown_session 2")
                .contains("  vtund session: proto tcp, encrypt aes128cbc, compress lzo:9, keepalive no (the server's "
                        + "FLAGS <TuL9E7>)\n");
    }

    @Test
    void errorsBecomeExceptions() {
        assertThatThrownBy(() -> Status.fromJson(Status.errorJson("no tunnel named 'x'")))
                .hasMessage("no tunnel named 'x'");
        assertThatThrownBy(() -> Status.fromJson("{\"tunnels\": [")).hasMessageContaining("bad JSON");
    }

    @Test
    void serverAnswersOneLineAndIsOwnerOnly(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("run/culvert/site-a.sock");
        try (ControlServer server = ControlServer.start(socket,
                request -> request.equals("show") ? sample().toJson() : Status.errorJson("unknown request"))) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
            assertThat(Status.fromJson(ControlClient.request(socket, "show"))).isEqualTo(sample());
            assertThatThrownBy(() -> Status.fromJson(ControlClient.request(socket, "dump keys")))
                    .hasMessage("unknown request");
            assertThatThrownBy(() -> ControlServer.start(socket, r -> "{}")).isInstanceOf(ControlServer.InUse.class)
                    .hasMessageContaining("served by another live process").hasMessageContaining(socket.toString());
        }
        assertThat(socket).doesNotExist();
    }

    @Test
    void aStaleSocketFileIsReplaced(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("stale.sock");
        // As a killed daemon leaves it: a socket file nobody listens on.
        try (java.nio.channels.ServerSocketChannel dead = java.nio.channels.ServerSocketChannel.open(
                java.net.StandardProtocolFamily.UNIX)) {
            dead.bind(java.net.UnixDomainSocketAddress.of(socket));
        }
        try (ControlServer second = ControlServer.start(socket, r -> "{\"ok\":true}")) {
            assertThat(ControlClient.request(socket, "show")).isEqualTo("{\"ok\":true}");
        }
    }

    @Test
    void somethingOtherThanASocketIsNotRemoved(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("notes.sock"), "mine");
        assertThatThrownBy(() -> ControlServer.start(file, r -> "{}")).hasMessageContaining("other than a socket");
        assertThat(file).hasContent("mine");
    }

    @Test
    void wgStyleUnits() {
        assertThat(StatusText.ago(0)).isEqualTo("Now");
        assertThat(StatusText.ago(1)).isEqualTo("1 second ago");
        assertThat(StatusText.ago(3600 * 26 + 1)).isEqualTo("1 day, 2 hours, 1 second ago");
        assertThat(StatusText.bytes(1023)).isEqualTo("1023 B");
        assertThat(StatusText.bytes(1024)).isEqualTo("1.00 KiB");
    }
}
