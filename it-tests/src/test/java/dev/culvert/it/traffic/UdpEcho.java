package dev.culvert.it.traffic;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;

/**
 * A UDP echo server for a bounded time, run inside a namespace: the positive control that
 * proves {@link UdpProbe} does see replies when there are some.
 *
 * <pre>usage: UdpEcho HOST PORT SECONDS</pre>
 */
public final class UdpEcho {

    private UdpEcho() {
    }

    /** Entry point; see the class comment. */
    public static void main(String[] args) throws IOException {
        long deadline = System.currentTimeMillis() + Long.parseLong(args[2]) * 1000;
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(args[0], Integer.parseInt(args[1])))) {
            System.out.println("listening");
            byte[] buffer = new byte[65_535];
            long left;
            while ((left = deadline - System.currentTimeMillis()) > 0) {
                socket.setSoTimeout((int) left);
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                try {
                    socket.receive(packet);
                } catch (SocketTimeoutException e) {
                    break;
                }
                socket.send(new DatagramPacket(buffer, packet.getLength(), packet.getSocketAddress()));
            }
        }
    }
}
