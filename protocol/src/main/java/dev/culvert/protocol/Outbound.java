package dev.culvert.protocol;

import io.netty.buffer.ByteBuf;

import java.net.InetSocketAddress;

/** Where the engine's datagrams go: implemented by the transport adapter (UDP channel, TCP framer, test twin). */
public interface Outbound {
    /**
     * Queues one datagram for {@code to}; ownership of the buffer passes to the callee. The adapter
     * flushes at the end of each batch, not per datagram.
     *
     * @return false if it was dropped at once (no socket or connection for {@code to}); the caller counts it
     */
    boolean send(ByteBuf datagram, InetSocketAddress to);

    /**
     * A peer's endpoint moved from {@code from} (null if it had none) to {@code to}, on an
     * authenticated packet. Stream transports close the older connection here (the newest wins).
     */
    default void peerMoved(InetSocketAddress from, InetSocketAddress to) {
    }

    /**
     * Hands the kernel what {@link #send} queued. The adapters flush at the end of their own batches; the engine
     * calls this after a batch of the handshake thread's results (cookie replies, responses), which arrive outside them.
     */
    default void flush() {
    }
}
