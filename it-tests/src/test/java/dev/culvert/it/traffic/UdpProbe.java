package dev.culvert.it.traffic;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

/**
 * A tiny program run inside a namespace ({@code ip netns exec NS java -cp ... UdpProbe}):
 * sends datagrams to a target from one socket, then listens on that socket for a bounded
 * time and reports whatever came back.
 *
 * <pre>
 * usage: UdpProbe HOST PORT WAIT_MILLIS PAYLOAD_FILE
 *   PAYLOAD_FILE: one datagram per line, in hex (an empty line is an empty datagram)
 * output (stdout): "sent N" then one "reply LENGTH HEX" line per datagram received
 * </pre>
 */
public final class UdpProbe {

    private static final int MAX_DATAGRAM = 65_535;

    private UdpProbe() {
    }

    /** Entry point; see the class comment. */
    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: UdpProbe HOST PORT WAIT_MILLIS PAYLOAD_FILE");
            System.exit(2);
        }
        InetSocketAddress target = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        long waitMillis = Long.parseLong(args[2]);
        List<String> payloads = Files.readAllLines(Path.of(args[3]));
        try (DatagramSocket socket = new DatagramSocket()) {
            for (String hex : payloads) {
                byte[] payload = HexFormat.of().parseHex(hex.strip());
                socket.send(new DatagramPacket(payload, payload.length, target));
            }
            System.out.println("sent " + payloads.size());
            long deadline = System.currentTimeMillis() + waitMillis;
            byte[] buffer = new byte[MAX_DATAGRAM];
            long left;
            while ((left = deadline - System.currentTimeMillis()) > 0) {
                socket.setSoTimeout((int) left);
                DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
                try {
                    socket.receive(reply);
                } catch (SocketTimeoutException e) {
                    break;
                }
                System.out.println("reply " + reply.getLength() + " "
                        + HexFormat.of().formatHex(buffer, 0, reply.getLength()));
            }
        }
    }
}
