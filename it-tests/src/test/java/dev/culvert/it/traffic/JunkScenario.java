package dev.culvert.it.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.it.harness.Netns;
import dev.culvert.it.node.TunnelNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Throws junk at a tunnel's UDP port from the peer's namespace and checks that nothing
 * answers and the tunnel still works. Shared by the wireguard-go harness test (which proves
 * the scenario itself) and Culvert's {@code JunkIT}.
 *
 * <p>Route of the check: capture the peer's first handshake and pings on the underlay;
 * send {@link JunkBattery#malformed} plus replays and bit flips of what was captured from a
 * fresh socket; listen on that socket for {@link #REPLY_WAIT}; ping again.
 */
public final class JunkScenario {

    /** How long the probe listens for an (unwanted) answer. */
    public static final Duration REPLY_WAIT = Duration.ofSeconds(2);

    /** Fixed so a failure can be replayed; printed in assertion messages. */
    public static final long SEED = 0xC0_17E7L;

    /** How long captured packets may take to reach the capture file. */
    public static final Duration CAPTURE_WAIT = Duration.ofSeconds(10);

    private JunkScenario() {
    }

    private static boolean hasInitiationAndData(List<Pcap.Datagram> datagrams) {
        return datagrams.stream().anyMatch(d -> JunkBattery.isType(d.payload(), JunkBattery.TYPE_INITIATION))
                && datagrams.stream().anyMatch(d -> JunkBattery.isType(d.payload(), JunkBattery.TYPE_DATA));
    }

    /**
     * Starts capturing what {@code senderNs} sends to {@code targetUdp} on its underlay. Call it
     * before the sender starts: a fresh tun device can trigger a handshake at once (IPv6
     * router solicitations and the like), and that first initiation must be in the capture.
     */
    public static PacketCapture startCapture(Netns senderNs, String underlayDevice, String targetUdp) {
        String host = targetUdp.substring(0, targetUdp.lastIndexOf(':'));
        String port = targetUdp.substring(targetUdp.lastIndexOf(':') + 1);
        return PacketCapture.start(senderNs, underlayDevice, "udp and dst host " + host + " and dst port " + port);
    }

    /**
     * Runs the scenario: ping until the tunnel works, take the handshake and data messages
     * from {@code capture} (started by {@link #startCapture} before {@code sender} started), send
     * the junk, expect silence, ping again both ways.
     *
     * @param targetUdp {@code ip:port} the target listens on
     */
    public static void assertJunkIgnored(PacketCapture capture, TunnelNode sender, TunnelNode target, String targetUdp) {
        Ping.awaitReply(sender.netns(), target.tunnelIp());
        List<byte[]> captured = new ArrayList<>();
        capture.stopWhen("an initiation and a data message towards " + targetUdp,
                        JunkScenario::hasInitiationAndData, CAPTURE_WAIT)
                .forEach(datagram -> captured.add(datagram.payload()));

        List<byte[]> junk = new ArrayList<>(JunkBattery.malformed(SEED));
        junk.addAll(JunkBattery.forgedFrom(captured));
        Probe.Result result = Probe.send(sender.netns(), targetUdp, junk, REPLY_WAIT);

        assertThat(result.sent()).isEqualTo(junk.size());
        assertThat(result.replies())
                .as("replies to %d junk datagrams (seed %x) sent to %s; replies: %s", junk.size(), SEED, targetUdp,
                        result.replies().stream().map(HexFormat.of()::formatHex).collect(Collectors.joining(", ")))
                .isEmpty();
        Ping.awaitReply(sender.netns(), target.tunnelIp());
        Ping.awaitReply(target.netns(), sender.tunnelIp());
    }
}
