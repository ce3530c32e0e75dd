package dev.culvert.protocol.netty;

import dev.culvert.protocol.Outbound;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The engine's {@link Outbound} over TCP connections: a datagram for an address goes to the
 * connection with that remote address (on a client, the connection it dialled; on a server, the
 * one the peer called in on). Writes are flushed per batch; {@link #isWritable} tells the tunnels when a
 * slow reader has filled a connection, so they stop reading their devices instead of queueing. When a peer turns up on a new connection
 * the older one is closed: the newest connection wins (VTUN's {@code multi killold}).
 * Event-loop only.
 */
public final class StreamOutbound implements Outbound {
    private static final System.Logger LOG = System.getLogger("culvert.tcp");

    private final Map<InetSocketAddress, Channel> connections = new HashMap<>();
    private final Set<Channel> dirty = new LinkedHashSet<>();
    private long dropped;

    /** A connection is up (accepted or dialled): datagrams for its remote address go there. */
    public void register(Channel channel, InetSocketAddress remote) {
        Channel old = connections.put(remote, channel);
        if (old != null && old != channel) {
            old.close();
        }
    }

    /** A connection went away. */
    public void unregister(Channel channel, InetSocketAddress remote) {
        connections.remove(remote, channel);
        dirty.remove(channel);
    }

    @Override
    public boolean send(ByteBuf datagram, InetSocketAddress to) {
        Channel ch = to == null ? null : connections.get(to);
        if (ch == null || !ch.isActive()) {
            dropped++;
            datagram.release();
            return false;
        }
        ch.write(datagram, ch.voidPromise());
        dirty.add(ch);
        return true;
    }

    /**
     * False while the connection to {@code to} has more queued than its high water mark; true when it
     * drains, and when there is no connection (what is sent then is dropped and counted, not queued).
     */
    public boolean isWritable(InetSocketAddress to) {
        Channel ch = to == null ? null : connections.get(to);
        return ch == null || ch.isWritable();
    }

    @Override
    public void peerMoved(InetSocketAddress from, InetSocketAddress to) {
        Channel old = from == null ? null : connections.get(from);
        if (old != null && connections.get(to) != old) {
            LOG.log(System.Logger.Level.INFO, "peer reconnected from {0}; closing its older connection from {1}",
                    to, from);
            connections.remove(from, old);
            old.close();
        }
    }

    /** Flushes every connection written since the last flush. */
    @Override
    public void flush() {
        for (Channel ch : dirty) {
            ch.flush();
        }
        dirty.clear();
    }

    /** The live connections (accepted and dialled), one per peer address; a read-only view. Loop only. */
    public java.util.Collection<Channel> channels() {
        return java.util.Collections.unmodifiableCollection(connections.values());
    }

    public int connections() {
        return connections.size();
    }

    /** Datagrams dropped for want of a connection. */
    public long dropped() {
        return dropped;
    }
}
