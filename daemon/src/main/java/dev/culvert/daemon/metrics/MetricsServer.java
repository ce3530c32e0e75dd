package dev.culvert.daemon.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A tiny HTTP server (the JDK's) answering {@code GET /metrics} with {@link DaemonMetrics#scrape()},
 * on its own single daemon thread, so a slow scraper never holds up the event loop.
 */
public final class MetricsServer implements AutoCloseable {
    /** The only path served. */
    public static final String PATH = "/metrics";
    private static final int BACKLOG = 8;

    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Binds and starts serving.
     *
     * @throws IOException naming the address when it cannot be bound
     */
    public static MetricsServer start(InetSocketAddress bind, DaemonMetrics metrics) throws IOException {
        HttpServer server;
        try {
            server = HttpServer.create(bind, BACKLOG);
        } catch (IOException e) {
            throw new IOException("cannot serve metrics on " + dev.culvert.daemon.Addresses.format(bind) + ": "
                    + e.getMessage(), e);
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "culvert-metrics");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", exchange -> handle(exchange, metrics));
        server.start();
        return new MetricsServer(server, executor);
    }

    /**
     * Who listens on {@code address}, as far as a {@code GET /metrics} there (1 s timeouts) tells: "held by
     * another culvert daemon's metrics endpoint" when the answer has culvert's metrics, else "held by another
     * program (...)" with what it answered, or null if nothing answered at all.
     */
    public static String describeHolder(InetSocketAddress address) {
        InetSocketAddress target = address.getAddress().isAnyLocalAddress()
                ? new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), address.getPort()) : address;
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(target, 1000);
            socket.setSoTimeout(1000);
            socket.getOutputStream().write(("GET " + PATH + " HTTP/1.0\r\nHost: localhost\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] answer = socket.getInputStream().readNBytes(64 * 1024);
            String text = new String(answer, StandardCharsets.UTF_8);
            if (text.contains("\nculvert_") || text.contains("# HELP culvert_")) {
                return "held by another culvert daemon's metrics endpoint";
            }
            String firstLine = text.lines().findFirst().orElse("").strip();
            return "held by another program, which answers "
                    + (firstLine.isEmpty() ? "nothing over HTTP" : "'" + firstLine.substring(0, Math.min(60,
                    firstLine.length())) + "'");
        } catch (IOException e) {
            return "held by another program that does not answer HTTP";
        }
    }

    private static void handle(HttpExchange exchange, DaemonMetrics metrics) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!exchange.getRequestURI().getPath().equals(PATH)) {
                reply(exchange, 404, "text/plain; charset=utf-8", "not found; metrics are at " + PATH + "\n");
            } else if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                reply(exchange, 405, "text/plain; charset=utf-8", "only GET\n");
            } else {
                reply(exchange, 200, DaemonMetrics.contentType(), metrics.scrape());
            }
        }
    }

    private static void reply(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** The bound address (the real port when bound to port 0). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
