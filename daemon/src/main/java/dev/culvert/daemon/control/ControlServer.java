package dev.culvert.daemon.control;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The control socket: a unix stream socket (mode 0600) on which each connection sends one request
 * line and gets one JSON line back, then the daemon closes it (requests and answers: {@link ControlRequest},
 * {@link Status}, {@link ReloadOutcome}).
 *
 * <p>One thread reads every connection's request without blocking, each within {@link Limits#readTimeout()}
 * of its accept; a connection that has not sent a whole line by then is closed, and when
 * {@link Limits#maxReading()} connections are reading, the oldest is closed for a new one, so clients
 * that connect and send nothing cannot keep others out. A request longer than
 * {@link Limits#maxRequestBytes()} is refused with an error answer. Complete requests are answered
 * on at most {@link Limits#maxAnswering()} threads (a reload can take as long as its hooks), never on the
 * event loop; more waiting than {@link Limits#maxQueued()} are answered "busy".
 */
public final class ControlServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("culvert.control");

    /**
     * How much the control socket takes.
     *
     * @param readTimeout     from accept to the request's newline
     * @param maxReading      connections reading a request at once (the oldest gives way)
     * @param maxRequestBytes the longest request line, newline included
     * @param maxAnswering    requests answered at once
     * @param maxQueued       complete requests waiting for an answering thread
     */
    public record Limits(Duration readTimeout, int maxReading, int maxRequestBytes, int maxAnswering, int maxQueued) {
        public static final Limits DEFAULT = new Limits(Duration.ofSeconds(2), 32, 1024, 4, 16);
    }

    private final Path path;
    /** The socket's directory if this server created it (removed again on close when empty); else null. */
    private Path createdDir;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final Function<String, String> handler;
    private final Limits limits;
    private final ThreadPoolExecutor answering;
    private final Deque<Reading> reading = new ArrayDeque<>();
    private final Thread reader;

    /** A connection whose request line is still coming. */
    private static final class Reading {
        final SocketChannel channel;
        final ByteBuffer buf;
        final long deadlineNanos;
        SelectionKey key;

        Reading(SocketChannel channel, int size, long deadlineNanos) {
            this.channel = channel;
            this.buf = ByteBuffer.allocate(size);
            this.deadlineNanos = deadlineNanos;
        }
    }

    private ControlServer(Path path, ServerSocketChannel server, Selector selector, Function<String, String> handler,
                          Limits limits) {
        this.path = path;
        this.server = server;
        this.selector = selector;
        this.handler = handler;
        this.limits = limits;
        this.answering = new ThreadPoolExecutor(limits.maxAnswering(), limits.maxAnswering(), 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(limits.maxQueued()), r -> {
                    Thread t = new Thread(r, "culvert-control-answer");
                    t.setDaemon(true);
                    return t;
                });
        answering.allowCoreThreadTimeOut(true);
        this.reader = new Thread(this::readLoop, "culvert-control");
        reader.setDaemon(true);
    }

    /** {@link #start(Path, Function, Limits)} with {@link Limits#DEFAULT}. */
    public static ControlServer start(Path path, Function<String, String> handler) throws IOException {
        return start(path, handler, Limits.DEFAULT);
    }

    /**
     * Creates the directory (0755) if missing, replaces a stale socket file, binds, and serves.
     *
     * @param handler request line (without its newline) to JSON answer line; called on an answering thread
     * @throws IOException if another daemon answers on {@code path} or it cannot be bound
     */
    public static ControlServer start(Path path, Function<String, String> handler, Limits limits) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        boolean created = false;
        if (dir != null && !Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            created = true;
        }
        checkFree(path);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        Selector selector;
        try {
            server.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            server.configureBlocking(false);
            selector = Selector.open();
            server.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException e) {
            server.close();
            throw new IOException("cannot create control socket " + path + ": " + e.getMessage(), e);
        }
        ControlServer control = new ControlServer(path, server, selector, handler, limits);
        control.createdDir = created ? dir : null;
        control.reader.start();
        return control;
    }

    /**
     * Makes sure {@code path} can be bound: nothing there, or a socket file nobody listens on (connect refused:
     * left behind by a daemon that was killed), which is removed with an INFO line.
     *
     * @throws InUse if a live process accepts connections on it (another daemon whose config file has the same
     *               name in another folder, so the same default path); the message names it as far as its
     *               {@code show} answer tells
     * @throws IOException if something other than a socket is there, or it cannot be probed or removed
     */
    public static void checkFree(Path path) throws IOException {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        int mode = (Integer) Files.getAttribute(path, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new IOException("cannot create control socket " + path + ": something other than a socket is "
                    + "there; remove it, or set culvert.control.socket to another path");
        }
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            throw new InUse("control socket " + path + " is served by another live process (" + describeHolder(path)
                    + "); give this daemon its own culvert.control.socket (two config files of the same name share "
                    + "the default /run/culvert/NAME/control.sock)");
        } catch (java.net.ConnectException e) {
            Files.delete(path);
            LOG.log(System.Logger.Level.INFO, "control socket {0}: removed the file a daemon that did not stop "
                    + "cleanly left (nothing listened on it)", path);
        }
    }

    /** {@code (mode & S_IFMT) == S_IFSOCK}: the file type bits of stat(2)'s st_mode (inode(7)). */
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    /** A start refused because another live process serves the control socket's path. */
    public static final class InUse extends IOException {
        private static final long serialVersionUID = 1L;

        InUse(String message) {
            super(message);
        }
    }

    /** Who answers on {@code path}: a culvert daemon's public key and port if it answers {@code show} within 1 s. */
    private static String describeHolder(Path path) {
        try {
            Status status = Status.fromJson(ControlClient.request(path, ControlRequest.show(null), Duration.ofSeconds(1)));
            String instance = status.instance() == null ? "" : ", instance " + status.instance()
                    + (status.configFile() == null ? "" : " (" + status.configFile() + ")");
            return "a culvert daemon" + instance + ", public key " + status.publicKey() + ", listen port "
                    + status.listenPort();
        } catch (IOException | RuntimeException e) {
            return "it does not answer as a culvert daemon";
        }
    }

    public Path path() {
        return path;
    }

    private void readLoop() {
        try {
            while (server.isOpen()) {
                Reading oldest = reading.peekFirst();
                long waitMillis = oldest == null ? 0
                        : Math.max(1, TimeUnit.NANOSECONDS.toMillis(oldest.deadlineNanos - System.nanoTime()) + 1);
                selector.select(waitMillis);
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        acceptAll();
                    } else if (key.isReadable()) {
                        read((Reading) key.attachment());
                    }
                }
                expire();
            }
        } catch (ClosedSelectorException e) {
            // closing
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "control socket {0} stopped: {1}", path, e.toString());
        } finally {
            reading.forEach(r -> closeQuietly(r.channel));
            reading.clear();
            try {
                selector.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    private void acceptAll() throws IOException {
        SocketChannel client;
        while (server.isOpen() && (client = server.accept()) != null) {
            if (reading.size() >= limits.maxReading()) {
                Reading evicted = reading.pollFirst();
                LOG.log(System.Logger.Level.DEBUG, "control socket: {0} clients reading; closing the oldest",
                        String.valueOf(limits.maxReading()));
                closeQuietly(evicted.channel);
            }
            client.configureBlocking(false);
            Reading r = new Reading(client, limits.maxRequestBytes(), System.nanoTime() + limits.readTimeout().toNanos());
            r.key = client.register(selector, SelectionKey.OP_READ, r);
            reading.addLast(r);
        }
    }

    private void read(Reading r) {
        int n;
        try {
            n = r.channel.read(r.buf);
        } catch (IOException e) {
            drop(r);
            return;
        }
        int end = indexOfNewline(r.buf);
        if (end >= 0) {
            dispatch(r, new String(r.buf.array(), 0, end, StandardCharsets.UTF_8));
        } else if (n < 0) {
            if (r.buf.position() == 0) {
                drop(r);
            } else { // a last line without its newline
                dispatch(r, new String(r.buf.array(), 0, r.buf.position(), StandardCharsets.UTF_8));
            }
        } else if (!r.buf.hasRemaining()) {
            reading.remove(r);
            r.key.cancel();
            refuse(r.channel, "request longer than " + limits.maxRequestBytes() + " bytes");
        }
    }

    /** Hands a complete request to an answering thread, the channel back in blocking mode. */
    private void dispatch(Reading r, String request) {
        reading.remove(r);
        r.key.cancel();
        try {
            selector.selectNow(); // completes the cancel, so the channel may block again
            r.channel.configureBlocking(true);
            answering.execute(() -> answer(r.channel, request));
        } catch (RejectedExecutionException e) {
            refuse(r.channel, "busy: " + limits.maxAnswering() + " requests are being answered; try again");
        } catch (IOException e) {
            closeQuietly(r.channel);
        }
    }

    private void answer(SocketChannel client, String request) {
        try (client) {
            String response = handler.apply(request.strip());
            write(client, response);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "control client: {0}", e.toString());
        }
    }

    /**
     * An error answer, best effort (a small write to a socket whose buffer is empty), and close. What the
     * client sent and nobody read is discarded first (up to 64 KiB), or closing would reset the connection
     * and the client could lose the answer.
     */
    private static void refuse(SocketChannel client, String message) {
        try (client) {
            write(client, Status.errorJson(message));
            client.shutdownOutput();
            if (!client.isBlocking()) {
                ByteBuffer discard = ByteBuffer.allocate(4096);
                for (int i = 0; i < 16 && client.read(discard) > 0; i++) {
                    discard.clear();
                }
            }
        } catch (IOException e) {
            // the client is gone
        }
    }

    private static void write(SocketChannel client, String line) throws IOException {
        ByteBuffer out = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) {
            if (client.write(out) == 0 && !client.isBlocking()) {
                return; // a non-blocking error answer that does not fit: the client is not reading
            }
        }
    }

    private void expire() {
        long now = System.nanoTime();
        while (!reading.isEmpty() && reading.peekFirst().deadlineNanos - now <= 0) {
            Reading r = reading.pollFirst();
            LOG.log(System.Logger.Level.DEBUG, "control client sent no request within {0} ms; closed",
                    String.valueOf(limits.readTimeout().toMillis()));
            r.key.cancel();
            refuse(r.channel, "no request within " + limits.readTimeout().toMillis() + " ms");
        }
    }

    private void drop(Reading r) {
        reading.remove(r);
        closeQuietly(r.channel);
    }

    private static int indexOfNewline(ByteBuffer buf) {
        for (int i = 0; i < buf.position(); i++) {
            if (buf.get(i) == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    /**
     * Stops serving and removes the socket file, and its directory if this server created it and it is now empty
     * (outside systemd nothing else would: under the packaged unit systemd removes {@code RuntimeDirectory=});
     * answers under way finish.
     */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        selector.wakeup();
        answering.shutdown();
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove control socket {0}: {1}", path, e.getMessage());
        }
        if (createdDir != null) {
            try {
                Files.deleteIfExists(createdDir);
            } catch (IOException e) {
                // not empty (something else was put there), or already gone: left as it is
            }
        }
    }
}
