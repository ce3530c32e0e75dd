package dev.culvert.protocol.transport;

import dev.culvert.protocol.Engine;
import io.netty.channel.EventLoop;

import java.net.InetSocketAddress;
import java.util.function.Supplier;

/**
 * Where sealed WireGuard messages leave and arrive: the UDP socket, TCP connections, or the in-memory
 * twin (wireguard-go's {@code conn.Bind}). A transport owns one {@link Engine} (one static key, any
 * number of peers), is its {@link dev.culvert.protocol.Outbound}, ticks it, hands it every datagram it
 * reads and calls {@link Engine#flushDelivered()} at the end of each read burst. Everything runs on
 * {@link #eventLoop()}; only {@link #close()} may be called from any thread.
 *
 * <p>Back-pressure both ways: a tunnel stops reading its device while {@link #isWritable} is false and
 * reads again when a {@link #addWritabilityListener listener} says it changed; a device that cannot take
 * writes {@link #pauseReads pauses} the transport's reads until it drains.
 */
public interface Transport extends AutoCloseable {

    /** The engine whose datagrams this transport carries. */
    Engine engine();

    /** The loop everything of this transport runs on. */
    EventLoop eventLoop();

    /** The local address: the bound UDP socket, the TCP listener, or the twin's name; null if none. */
    InetSocketAddress localAddress();

    /** Hands what the engine queued since the last flush to the kernel: the end of a device read burst. */
    void flush();

    /**
     * Whether more datagrams for {@code to} can be queued without growing a buffer past its high water
     * mark. A transport with no path to {@code to} (a TCP client between connections) is writable:
     * what is sent then is dropped and counted, not queued.
     */
    boolean isWritable(InetSocketAddress to);

    /** Runs {@code listener} on the loop whenever the writability of any path may have changed. */
    void addWritabilityListener(Runnable listener);

    void removeWritabilityListener(Runnable listener);

    /**
     * Stops reading from the network while any {@code holder} has reads paused (a device that cannot take
     * more writes); reads resume when every holder has {@link #resumeReads resumed}.
     */
    void pauseReads(Object holder);

    void resumeReads(Object holder);

    /**
     * Keeps a client tunnel's path to its server: a TCP transport dials and redials with backoff; a
     * datagram transport needs nothing. {@code resolve} may block (DNS) and is never run on the loop.
     *
     * @param tunnel  the tunnel's name, for logs
     * @param resolve the server's address, looked up afresh for each dial; null if it cannot be now
     * @param onReady run on the loop each time the path is up (the tunnel handshakes at once)
     * @return closes the path and stops redialling; idempotent
     */
    Connection connect(String tunnel, Supplier<InetSocketAddress> resolve, Runnable onReady);

    /** Closes the sockets and the engine's peers' paths. Idempotent; safe from any thread. */
    @Override
    void close();

    /** A client tunnel's path, closed with its tunnel. */
    interface Connection extends AutoCloseable {
        /** A path that needs nothing (datagram transports). */
        Connection NONE = () -> { };

        /**
         * The endpoint's name now resolves elsewhere (issue 13, names that move): drop the current connection,
         * which may hang on a host that no longer answers, and dial again with a fresh look-up. Nothing for a
         * datagram transport. Safe from any thread.
         */
        default void redial() {
        }

        @Override
        void close();
    }
}
