package dev.culvert.daemon.control;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Semaphore;
import java.util.function.Function;

/**
 * The control socket: a unix stream socket (mode 0600) on which each connection sends one request
 * line and gets one JSON line back, then the daemon closes it.
 *
 * <p>Requests: {@code show} (every tunnel) or {@code show NAME} (one). The answer is
 * {@link Status#toJson()}, or {@code {"error": "..."}}. Connections are served on their own short-lived
 * threads (at most {@value #MAX_CLIENTS} at once), never on the event loop.
 */
public final class ControlServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("culvert.control");
    static final int MAX_CLIENTS = 4;
    /** The longest request line read. */
    static final int MAX_REQUEST = 1024;

    private final Path path;
    private final ServerSocketChannel server;
    private final Function<String, String> handler;
    private final Semaphore clients = new Semaphore(MAX_CLIENTS);
    private final Thread acceptor;

    private ControlServer(Path path, ServerSocketChannel server, Function<String, String> handler) {
        this.path = path;
        this.server = server;
        this.handler = handler;
        this.acceptor = new Thread(this::acceptLoop, "culvert-control");
        acceptor.setDaemon(true);
    }

    /**
     * Creates the directory (0755) if missing, replaces a stale socket file, binds, and serves.
     *
     * @param handler request line to JSON response line; called on a connection thread
     * @throws IOException if another daemon answers on {@code path} or it cannot be bound
     */
    public static ControlServer start(Path path, Function<String, String> handler) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        }
        if (Files.exists(path)) {
            if (answers(path)) {
                throw new IOException("control socket " + path + " is in use by another running culvert");
            }
            Files.delete(path); // left behind by a daemon that did not stop cleanly
        }
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            server.close();
            throw new IOException("cannot create control socket " + path + ": " + e.getMessage(), e);
        }
        ControlServer control = new ControlServer(path, server, handler);
        control.acceptor.start();
        return control;
    }

    private static boolean answers(Path path) {
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                if (!clients.tryAcquire()) {
                    client.close();
                    continue;
                }
                Thread t = new Thread(() -> serve(client), "culvert-control-client");
                t.setDaemon(true);
                t.start();
            } catch (AsynchronousCloseException e) {
                return;
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "control socket {0}: {1}", path, e.getMessage());
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client) {
            String request = readLine(client);
            String response = handler.apply(request.strip());
            client.write(ByteBuffer.wrap((response + "\n").getBytes(StandardCharsets.UTF_8)));
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "control client: {0}", e.toString());
        } finally {
            clients.release();
        }
    }

    static String readLine(SocketChannel channel) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(MAX_REQUEST);
        while (buf.hasRemaining()) {
            if (channel.read(buf) < 0) {
                break;
            }
            int end = indexOfNewline(buf);
            if (end >= 0) {
                return new String(buf.array(), 0, end, StandardCharsets.UTF_8);
            }
        }
        return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
    }

    private static int indexOfNewline(ByteBuffer buf) {
        for (int i = 0; i < buf.position(); i++) {
            if (buf.get(i) == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Stops serving and removes the socket file. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove control socket {0}: {1}", path, e.getMessage());
        }
    }
}
