package dev.culvert.daemon.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Sends one request line to a control socket and returns the one response line. */
public final class ControlClient {
    private ControlClient() {}

    /** Sends {@code request} as its JSON line; returns the answer line (waits as long as the daemon takes). */
    public static String request(Path socket, ControlRequest request) throws IOException {
        return request(socket, request.toJson());
    }

    /** Sends {@code line}; returns the answer line (waits as long as the daemon takes). */
    public static String request(Path socket, String line) throws IOException {
        return exchange(socket, line, null);
    }

    /**
     * Sends {@code request} as its JSON line; returns the answer line, for a caller that must not hang on a process
     * that accepts and never answers.
     *
     * @throws SocketTimeoutException if the answer has not ended within {@code timeout}
     */
    public static String request(Path socket, ControlRequest request, Duration timeout) throws IOException {
        return exchange(socket, request.toJson(), timeout);
    }

    /** @param timeout null: no limit */
    private static String exchange(Path socket, String line, Duration timeout) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
             Selector wait = Selector.open()) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
            channel.configureBlocking(false);
            channel.register(wait, SelectionKey.OP_READ);
            long deadline = timeout == null ? 0 : System.nanoTime() + timeout.toNanos();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            while (true) {
                int n;
                try {
                    while ((n = channel.read(buf)) > 0) {
                        out.write(buf.array(), 0, buf.position());
                        buf.clear();
                    }
                } catch (IOException e) {
                    // The daemon closed with our request unread (refused as too long): its answer came first.
                    if (out.size() == 0) {
                        throw e;
                    }
                    break;
                }
                if (n < 0) {
                    break;
                }
                long left = deadline - System.nanoTime();
                if (timeout != null && left <= 0) {
                    throw new SocketTimeoutException("no answer from " + socket + " within " + timeout.toMillis() + " ms");
                }
                wait.select(timeout == null ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                wait.selectedKeys().clear();
            }
            return out.toString(StandardCharsets.UTF_8).strip();
        }
    }
}
