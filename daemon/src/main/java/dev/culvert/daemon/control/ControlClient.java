package dev.culvert.daemon.control;

import java.io.IOException;
import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Sends one request line to a control socket and returns the one response line. */
public final class ControlClient {
    private ControlClient() {}

    /** Sends {@code request} as its JSON line; returns the answer line (waits as long as the daemon takes). */
    public static String request(Path socket, ControlRequest request) throws IOException {
        return request(socket, request.toJson());
    }

    public static String request(Path socket, String line) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            try {
                while (channel.read(buf) >= 0) {
                    out.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
            } catch (IOException e) {
                // The daemon closed with our request unread (refused as too long): its answer came first.
                if (out.size() == 0) {
                    throw e;
                }
            }
            return out.toString(StandardCharsets.UTF_8).strip();
        }
    }
}
