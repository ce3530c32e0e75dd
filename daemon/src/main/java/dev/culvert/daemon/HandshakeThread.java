package dev.culvert.daemon;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The one thread of the daemon on which the engines do their expensive handshake work (issue 10): the X25519 that
 * decrypts an initiation and the cookie replies under load, so that a handshake flood costs this thread and not
 * the event loops that move packets. The engines feed it through their bounded handshake queues and take the
 * results back on their own loops. A daemon thread: it never holds the JVM up.
 */
final class HandshakeThread {
    private static final ExecutorService EXECUTOR = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "culvert-handshake");
        t.setDaemon(true);
        return t;
    });

    private HandshakeThread() {
    }

    /** The shared executor; tasks run one at a time, in order. */
    static Executor executor() {
        return EXECUTOR;
    }
}
