package dev.culvert.it.traffic;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * A tiny program run inside a namespace ({@code ip netns exec NS java -cp ... ByteStream}): one TCP connection
 * carrying a known byte stream, each end printing the count and SHA-256 of what it sent or received, so a test can
 * prove a tunnel delivered every byte in order (iperf3 sends whatever is in its buffer; its {@code --file} mode in
 * Debian 12's 3.12 sends stale buffer content after a partial write).
 *
 * <pre>
 * usage: ByteStream receive HOST PORT            prints "listening", then "received BYTES SHA256" at EOF
 *        ByteStream send HOST PORT BYTES SEED    prints "sent BYTES SHA256"
 * </pre>
 */
public final class ByteStream {

    private static final int CHUNK = 64 * 1024;

    private ByteStream() {
    }

    /** Entry point; see the class comment. */
    public static void main(String[] args) throws IOException, NoSuchAlgorithmException {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        InetSocketAddress address = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
        byte[] buffer = new byte[CHUNK];
        long total = 0;
        if (args[0].equals("receive")) {
            try (ServerSocket server = new ServerSocket()) {
                server.bind(address, 1);
                System.out.println("listening");
                System.out.flush();
                try (Socket socket = server.accept(); InputStream in = socket.getInputStream()) {
                    for (int n; (n = in.read(buffer)) > 0; total += n) {
                        sha.update(buffer, 0, n);
                    }
                }
            }
            System.out.println("received " + total + " " + HexFormat.of().formatHex(sha.digest()));
        } else {
            long bytes = Long.parseLong(args[3]);
            SplittableRandom random = new SplittableRandom(Long.parseLong(args[4]));
            try (Socket socket = new Socket()) {
                socket.connect(address, 10_000);
                OutputStream out = socket.getOutputStream();
                while (total < bytes) {
                    int n = (int) Math.min(CHUNK, bytes - total);
                    for (int i = 0; i < n; i += 8) {
                        long word = random.nextLong();
                        for (int k = 0; k < 8 && i + k < n; k++) {
                            buffer[i + k] = (byte) (word >>> (8 * k));
                        }
                    }
                    out.write(buffer, 0, n);
                    sha.update(buffer, 0, n);
                    total += n;
                }
                socket.shutdownOutput();
            }
            System.out.println("sent " + total + " " + HexFormat.of().formatHex(sha.digest()));
        }
    }
}
