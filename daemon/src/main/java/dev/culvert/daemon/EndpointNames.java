package dev.culvert.daemon;

import dev.culvert.config.Endpoint;
import dev.culvert.config.TunnelConfig;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A tunnel's peer endpoint given as {@code host:port}, looked up when the tunnel asks (issue 13): at open, before
 * every handshake retry and stale re-handshake, before each TCP dial, and every {@value #UNRESOLVED_RETRY_SECONDS}
 * s while it has never resolved. Look-ups run on {@code resolver} (they may block: DNS, /etc/hosts), never on the
 * loop; an answer that differs from the last one is handed to {@link Changed} on the loop, once. A literal
 * endpoint is parsed, never looked up, and never reported as changed.
 */
final class EndpointNames {
    private static final System.Logger LOG = System.getLogger("culvert.tunnel");
    /** How often a name that has never resolved is looked up again (REKEY_TIMEOUT, as a handshake retry). */
    static final long UNRESOLVED_RETRY_SECONDS = 5;

    /** What a tunnel does with a changed answer; on the loop. */
    @FunctionalInterface
    interface Changed {
        /**
         * @param was         the previous answer, or null for the first one
         * @param fresh       the new answer
         * @param forDialling the TCP dialler's own look-up, made just before it dials {@code fresh}
         */
        void changed(InetSocketAddress was, InetSocketAddress fresh, boolean forDialling);
    }

    private final TunnelConfig config;
    private final HostResolver names;
    private final Executor resolver;
    private final EventLoop loop;
    private Changed changed = (was, fresh, forDialling) -> { };
    /** The last answer (null: never resolved yet). Loop only, after {@link #first()}. */
    private InetSocketAddress last;
    private ScheduledFuture<?> unresolvedLookUp;
    private volatile boolean closed;

    EndpointNames(TunnelConfig config, HostResolver names, Executor resolver, EventLoop loop) {
        this.config = config;
        this.names = names;
        this.resolver = resolver;
        this.loop = loop;
    }

    /** Where changed answers go from now on. */
    void onChange(Changed listener) {
        this.changed = listener;
    }

    /** The look-up at open, on the caller's thread: the address, or null if there is no endpoint or it does not resolve yet. */
    InetSocketAddress first() {
        last = lookUpQuietly();
        return last;
    }

    /** The name has not resolved at open: look it up again every {@value #UNRESOLVED_RETRY_SECONDS} s until it does. */
    void retryUntilResolved() {
        loop.execute(this::scheduleUnresolvedLookUp);
    }

    private void scheduleUnresolvedLookUp() {
        if (closed || loop.isShuttingDown()) {
            return;
        }
        unresolvedLookUp = loop.schedule(() -> {
            if (last == null) {
                lookUpAgain();
                scheduleUnresolvedLookUp();
            }
        }, UNRESOLVED_RETRY_SECONDS, TimeUnit.SECONDS);
    }

    /** Looks the name up again, off the loop; a changed answer reaches the listener on the loop. Any thread. */
    void lookUpAgain() {
        if (!isName()) {
            return;
        }
        try {
            resolver.execute(() -> {
                InetSocketAddress fresh = lookUpQuietly();
                if (fresh != null && !loop.isShuttingDown()) {
                    loop.execute(() -> answered(fresh, false));
                }
            });
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    /**
     * The TCP dialler's look-up before each dial, on the resolver's thread: its answer also reaches
     * {@link #answered}, queued on the loop ahead of the dial, so the peer points where the connection goes.
     */
    InetSocketAddress lookUpForDialling() {
        InetSocketAddress fresh = lookUpQuietly();
        if (fresh != null && isName() && !loop.isShuttingDown()) {
            loop.execute(() -> answered(fresh, true));
        }
        return fresh;
    }

    private void answered(InetSocketAddress fresh, boolean forDialling) {
        if (closed || fresh.equals(last)) {
            return;
        }
        InetSocketAddress was = last;
        last = fresh;
        changed.changed(was, fresh, forDialling);
    }

    /** Stops the retries; later answers are ignored. Any thread. */
    void close() {
        closed = true;
        ScheduledFuture<?> lookUp = unresolvedLookUp;
        if (lookUp != null) {
            lookUp.cancel(false);
        }
    }

    private boolean isName() {
        return config.peer().endpoint().isPresent() && !config.peer().endpoint().get().isLiteral();
    }

    private InetSocketAddress lookUpQuietly() {
        try {
            return lookUp();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, e.getMessage());
            return null;
        }
    }

    private InetSocketAddress lookUp() throws IOException {
        if (config.peer().endpoint().isEmpty()) {
            return null;
        }
        Endpoint endpoint = config.peer().endpoint().get();
        try {
            return new InetSocketAddress(endpoint.isLiteral()
                    ? InetAddress.getByName(endpoint.host()) // a literal: parsed, no look-up
                    : names.resolve(endpoint.host()), endpoint.port());
        } catch (UnknownHostException e) {
            throw new IOException("tunnel " + config.name() + ": cannot resolve peer endpoint " + endpoint);
        }
    }
}
