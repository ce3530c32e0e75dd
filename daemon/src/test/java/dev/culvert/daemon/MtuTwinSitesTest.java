package dev.culvert.daemon;

import static dev.culvert.daemon.TwinPackets.take;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.protocol.Counters;
import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.Peer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
/**
 * Issue 13, "MTU done right": two whole daemons over the twins (as {@link TwinSitesTest}). A reload that raises
 * {@code device.mtu} on both ends resizes everything sized from the MTU (device, routing bound, padding, link
 * MTU), so a full-size packet at the new MTU passes both ways, neither {@code too_big} nor {@code decrypt_failed};
 * and {@code mss-clamp = auto} lowers the MSS of a SYN crossing the tunnel.
 */
class MtuTwinSitesTest extends TwinSitesFixture {

    private String keyA;
    private String keyB;

    @BeforeEach
    void keys() throws Exception {
        keyA = TwinHosts.writeKey(dir.resolve("a.key"));
        keyB = TwinHosts.writeKey(dir.resolve("b.key"));
    }


    @Test
    void aReloadThatRaisesTheMtuOnBothEndsCarriesFullSizePackets() throws Exception {
        Daemon a = start("a.conf", siteA("", ""), hostA);
        Daemon b = start("b.conf", siteB(""), hostB);
        hostB.devices.get("cv-b1").inject(ipv4(2, 1, 84, 1));
        await().atMost(15, TimeUnit.SECONDS).until(() -> up(a) && up(b));
        take(hostA.devices.get("cv-a1"));
        roundTrip(1420);

        int raised = 4000;
        a.reload(config("a.conf", siteA("mtu = " + raised, "")));
        b.reload(config("b.conf", siteB("mtu = " + raised)));
        assertThat(hostA.devices.get("cv-a1").isOpen()).isTrue();
        // the link itself was set to the new MTU
        assertThat(hostA.commands).anySatisfy(argv -> assertThat(argv).containsSubsequence("cv-a1", "mtu", "4000"));
        assertThat(hostB.commands).anySatisfy(argv -> assertThat(argv).containsSubsequence("cv-b1", "mtu", "4000"));

        hostB.devices.get("cv-b1").inject(ipv4(2, 1, 84, 2));
        await().atMost(15, TimeUnit.SECONDS).until(() -> up(a) && up(b));
        take(hostA.devices.get("cv-a1"));
        roundTrip(raised);
        for (Daemon d : List.of(a, b)) {
            Counters c = tunnel(d).counters();
            assertThat(c.drops(DropReason.TOO_BIG)).as("too_big").isZero();
            assertThat(c.drops(DropReason.DECRYPT_FAILED)).as("decrypt_failed").isZero();
        }
    }

    @Test
    void mssClampAutoLowersTheMssOfASynCrossingTheTunnel() throws Exception {
        Daemon a = start("a.conf", siteA("", "mss-clamp = auto"), hostA);
        Daemon b = start("b.conf", siteB(""), hostB);
        hostB.devices.get("cv-b1").inject(ipv4(2, 1, 84, 1));
        await().atMost(15, TimeUnit.SECONDS).until(() -> up(a) && up(b));
        take(hostA.devices.get("cv-a1"));

        // b (clamp off) sends a SYN with MSS 1460; a (auto, MTU 1420) writes it to its device with 1380
        hostB.devices.get("cv-b1").inject(syn(2, 1, 1460));
        byte[] arrived = take(hostA.devices.get("cv-a1"));
        assertThat(((arrived[20 + 22] & 0xFF) << 8) | (arrived[20 + 23] & 0xFF)).isEqualTo(1380);
        // a's own SYN leaves clamped as well; b (off) passes it unchanged
        hostA.devices.get("cv-a1").inject(syn(1, 2, 8960));
        byte[] back = take(hostB.devices.get("cv-b1"));
        assertThat(((back[20 + 22] & 0xFF) << 8) | (back[20 + 23] & 0xFF)).isEqualTo(1380);
        assertThat(tunnel(a).counters().get(Counters.Kind.MSS_CLAMPED)).isEqualTo(2);
        assertThat(tunnel(b).counters().get(Counters.Kind.MSS_CLAMPED)).isZero();
        // off: the same SYN is carried byte for byte
        hostB.devices.get("cv-b1").inject(syn(2, 1, 1000));
        assertThat(take(hostA.devices.get("cv-a1"))).isEqualTo(syn(2, 1, 1000));
    }

    private void roundTrip(int size) throws InterruptedException {
        byte[] out = ipv4(2, 1, size, size);
        hostB.devices.get("cv-b1").inject(out);
        assertThat(take(hostA.devices.get("cv-a1"))).as("%d bytes b -> a", size).isEqualTo(out);
        byte[] back = ipv4(1, 2, size, ~size);
        hostA.devices.get("cv-a1").inject(back);
        assertThat(take(hostB.devices.get("cv-b1"))).as("%d bytes a -> b", size).isEqualTo(back);
    }

    private String siteA(String device, String tunnel) {
        return """
                culvert {
                  private-key-file = a.key
                  listen.udp = "192.0.2.1:51820"
                  metrics.bind = off
                  control.socket = a.sock
                  tunnels {
                    t1 {
                      device { name = cv-a1, address = "198.18.0.1/30", %s }
                      peer { public-key = "%s", allowed-ips = ["198.18.0.2/32"] }
                      %s
                    }
                  }
                }
                """.formatted(device, keyB, tunnel);
    }

    private String siteB(String device) {
        return """
                culvert {
                  private-key-file = b.key
                  metrics.bind = off
                  control.socket = b.sock
                  tunnels {
                    t1 {
                      device { name = cv-b1, address = "198.18.0.2/30", %s }
                      peer { public-key = "%s", endpoint = "192.0.2.1:51820", allowed-ips = ["198.18.0.1/32"] }
                    }
                  }
                }
                """.formatted(device, keyA);
    }

    private static Tunnel tunnel(Daemon daemon) {
        return daemon.tunnels().stream().filter(t -> t.name().equals("t1")).findFirst().orElseThrow();
    }

    private static boolean up(Daemon daemon) {
        return tunnel(daemon).state() == Peer.State.UP;
    }


    /** An IPv4/UDP packet of {@code length} bytes from 198.18.0.src to 198.18.0.dst with a pattern payload. */
    private static byte[] ipv4(int src, int dst, int length, int seed) {
        byte[] p = header(src, dst, length, 17);
        for (int i = 20; i < length; i++) {
            p[i] = (byte) (seed + i);
        }
        return p;
    }

    /** An IPv4 TCP SYN with one MSS option (checksums are not what this test is about; MssClampTest checks them). */
    private static byte[] syn(int src, int dst, int mss) {
        byte[] p = header(src, dst, 44, 6);
        p[20] = (byte) 0xC0;
        p[21] = 1;
        p[23] = 80;
        p[32] = 6 << 4;
        p[33] = 0x02;
        p[34] = (byte) 0xFF;
        p[35] = (byte) 0xFF;
        p[40] = 2;
        p[41] = 4;
        p[42] = (byte) (mss >>> 8);
        p[43] = (byte) mss;
        return p;
    }

    private static byte[] header(int src, int dst, int length, int protocol) {
        byte[] p = new byte[length];
        p[0] = 0x45;
        p[2] = (byte) (length >> 8);
        p[3] = (byte) length;
        p[8] = 64;
        p[9] = (byte) protocol;
        byte[] s = {(byte) 198, 18, 0, (byte) src};
        byte[] d = {(byte) 198, 18, 0, (byte) dst};
        System.arraycopy(s, 0, p, 12, 4);
        System.arraycopy(d, 0, p, 16, 4);
        return p;
    }
}
