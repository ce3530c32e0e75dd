package dev.culvert.daemon;

import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.Engine;
import dev.culvert.protocol.Peer;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Admission of accepted TCP connections (SECURITY.md, "TCP listener"): anyone who can reach {@code listen.tcp} can
 * open connections, so one must carry an authenticated message — some peer's endpoint becomes its remote address —
 * within {@link #AUTH_TIMEOUT_NANOS} of being accepted, or it is closed; and at most {@link #MAX_PENDING} accepted
 * connections wait for that at once, {@link #MAX_PENDING_PER_SOURCE} from one source address (a further one from
 * that address is closed at once). When {@link #MAX_PENDING} wait, a new connection takes the place of the one that
 * has waited longest, which is closed: connections held open from many addresses cannot keep a peer out unless they
 * are opened faster than the peer completes a handshake. Each connection closed so is counted as
 * {@link DropReason#UNAUTHENTICATED_CONNECTION}. A peer's own client redials with its backoff. Confined to the
 * transport's event loop.
 */
final class TcpAdmission {
    private static final System.Logger LOG = System.getLogger("culvert.tcp");

    /** 15 s: three handshake attempts (REKEY_TIMEOUT 5 s, whitepaper §6.1), one of them answering a cookie. */
    static final long AUTH_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(15);
    /** Accepted connections waiting to authenticate, all sources together. */
    static final int MAX_PENDING = 256;
    /** Accepted connections waiting to authenticate from one source address. */
    static final int MAX_PENDING_PER_SOURCE = 8;
    private static final long CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Engine engine;
    private final long timeoutNanos;
    private final Map<InetAddress, Integer> pendingBySource = new HashMap<>();
    /** The connections waiting to authenticate, the longest-waiting first. */
    private final Set<Gate> waiting = new LinkedHashSet<>();

    /** @param timeoutNanos how long an accepted connection may go without authenticating ({@link #AUTH_TIMEOUT_NANOS}) */
    TcpAdmission(Engine engine, long timeoutNanos) {
        this.engine = engine;
        this.timeoutNanos = timeoutNanos;
    }

    /** A handler for one accepted connection, first in its pipeline. */
    ChannelHandler gate() {
        return new Gate();
    }

    /** Connections accepted and not yet authenticated (a gauge, for tests). */
    int pending() {
        return waiting.size();
    }

    private boolean authenticated(InetSocketAddress remote) {
        for (Peer peer : engine.peers()) {
            if (remote.equals(peer.endpoint())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Frees a place among the waiting connections: the longest-waiting one is closed, or, where it has authenticated
     * since the last check, just stops waiting.
     */
    private void makeRoom() {
        while (waiting.size() >= MAX_PENDING) {
            Gate oldest = waiting.iterator().next();
            boolean through = authenticated(oldest.remote);
            ChannelHandlerContext ctx = oldest.ctx;
            InetSocketAddress remote = oldest.remote;
            oldest.release();
            if (!through) {
                engine.counters().drop(DropReason.UNAUTHENTICATED_CONNECTION);
                LOG.log(System.Logger.Level.DEBUG, "tcp: closed the connection from {0}: it waited longest of {1} "
                        + "waiting to authenticate, and another came", Addresses.format(remote), MAX_PENDING);
                ctx.close();
            }
        }
    }

    private final class Gate extends ChannelInboundHandlerAdapter {
        private InetAddress source; // set while this connection counts as pending
        private InetSocketAddress remote;
        private ChannelHandlerContext ctx;
        private boolean refused;
        private ScheduledFuture<?> check;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
            InetAddress from = remote.getAddress();
            if (pendingBySource.getOrDefault(from, 0) >= MAX_PENDING_PER_SOURCE) {
                refused = true;
                engine.counters().drop(DropReason.UNAUTHENTICATED_CONNECTION);
                LOG.log(System.Logger.Level.DEBUG, "tcp: refused a connection from {0}: {1} from that address "
                        + "wait to authenticate already", Addresses.format(remote), MAX_PENDING_PER_SOURCE);
                ctx.close();
                return; // the rest of the pipeline never sees it
            }
            if (waiting.size() >= MAX_PENDING) {
                makeRoom();
            }
            source = from;
            this.remote = remote;
            this.ctx = ctx;
            pendingBySource.merge(from, 1, Integer::sum);
            waiting.add(this);
            long deadline = System.nanoTime() + timeoutNanos;
            long every = Math.min(CHECK_NANOS, timeoutNanos);
            check = ctx.executor().scheduleAtFixedRate(() -> {
                if (authenticated(remote)) {
                    release();
                } else if (System.nanoTime() - deadline >= 0) {
                    release();
                    engine.counters().drop(DropReason.UNAUTHENTICATED_CONNECTION);
                    LOG.log(System.Logger.Level.DEBUG, "tcp: closed the connection from {0}: no authenticated "
                            + "message within {1} s", Addresses.format(remote), TimeUnit.NANOSECONDS.toSeconds(timeoutNanos));
                    ctx.close();
                }
            }, every, every, TimeUnit.NANOSECONDS);
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (refused) {
                ReferenceCountUtil.release(msg);
                return;
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            release();
            if (!refused) {
                ctx.fireChannelInactive();
            }
        }

        private void release() {
            if (check != null) {
                check.cancel(false);
                check = null;
            }
            if (source != null) {
                waiting.remove(this);
                pendingBySource.computeIfPresent(source, (k, n) -> n == 1 ? null : n - 1);
                source = null;
            }
        }
    }
}
