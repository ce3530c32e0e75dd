package dev.culvert.daemon;

import dev.culvert.protocol.Engine;
import dev.culvert.protocol.Peer;
import dev.culvert.protocol.netty.ChannelOutbound;
import dev.culvert.protocol.netty.DatagramEngineHandler;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * One connected UDP socket per peer with a session, beside the UDP transport's listening socket (issue 10): the
 * same local address and port ({@code SO_REUSEPORT} on both), {@code connect()}ed to the peer's endpoint. The
 * kernel hands a datagram to the socket that matches it best, so the peer's packets land in a receive queue of
 * their own, and a flood of handshake initiations (from anyone, to the listening socket) can fill the listening
 * socket's buffer without a single packet of the established tunnels being dropped behind it. Everything the
 * sockets read goes to the same engine, on the same event loop; everything sent still leaves through the
 * listening socket. Reconciled on the loop every tick: a socket for each endpoint of a peer with a session, closed
 * when no peer is there any more (roaming, a removed peer). At most {@link #MAX_SOCKETS}; peers beyond share the
 * listening socket as before.
 */
final class PeerSockets {
    private static final System.Logger LOG = System.getLogger("culvert.udp");
    static final int MAX_SOCKETS = 1024;
    /**
     * An escape hatch, not a setting: {@code -Dculvert.peer-sockets=false} (e.g. in {@code CULVERT_JAVA_OPTS}) keeps
     * every peer on the listening socket, as before issue 10.
     */
    static final boolean ENABLED = !"false".equals(System.getProperty("culvert.peer-sockets"));

    private final EventLoop loop;
    private final Engine engine;
    private final ChannelOutbound outbound;
    private final ByteBufAllocator alloc;
    private final InetSocketAddress local;
    private final boolean offload;
    private final int bufferBytes;
    private final Map<InetSocketAddress, Channel> sockets = new HashMap<>();
    private boolean reads = true;
    private boolean closed;

    /**
     * @param local the listening socket's bound address (its real port): every peer socket binds the same
     */
    PeerSockets(EventLoop loop, Engine engine, ChannelOutbound outbound, ByteBufAllocator alloc, InetSocketAddress local,
                boolean offload, int bufferBytes) {
        this.loop = loop;
        this.engine = engine;
        this.outbound = outbound;
        this.alloc = alloc;
        this.local = local;
        this.offload = offload;
        this.bufferBytes = bufferBytes;
    }

    /** Opens and closes sockets to match the peers' endpoints. Loop only. */
    void reconcile() {
        if (closed) {
            return;
        }
        Set<InetSocketAddress> wanted = new HashSet<>();
        for (Peer peer : engine.peers()) {
            InetSocketAddress endpoint = peer.endpoint();
            if (endpoint != null && !endpoint.isUnresolved() && peer.hasSession() && sameFamily(endpoint)) {
                wanted.add(endpoint);
            }
        }
        for (Map.Entry<InetSocketAddress, Channel> e : new ArrayList<>(sockets.entrySet())) {
            if (!wanted.contains(e.getKey()) || !e.getValue().isOpen()) {
                sockets.remove(e.getKey());
                e.getValue().close();
            }
        }
        for (InetSocketAddress endpoint : wanted) {
            if (!sockets.containsKey(endpoint) && sockets.size() < MAX_SOCKETS) {
                open(endpoint);
            }
        }
    }

    /** IPv4 endpoints on an IPv4 socket; on an IPv6 one, IPv6 endpoints, and IPv4 ones too if it is the dual-stack wildcard. */
    private boolean sameFamily(InetSocketAddress endpoint) {
        boolean v4 = endpoint.getAddress() instanceof Inet4Address;
        if (local.getAddress() instanceof Inet4Address) {
            return v4;
        }
        return !v4 || local.getAddress().isAnyLocalAddress();
    }

    private void open(InetSocketAddress endpoint) {
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channelFactory(() -> Addresses.socketFamily(local) == null ? new EpollDatagramChannel()
                        : new EpollDatagramChannel(Addresses.socketFamily(local)))
                .option(ChannelOption.ALLOCATOR, alloc)
                .option(EpollChannelOption.SO_REUSEPORT, true)
                .option(ChannelOption.SO_RCVBUF, bufferBytes)
                .option(ChannelOption.AUTO_READ, reads)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        UdpTransport.configureOffloads(ch, offload, false);
                        ch.pipeline().addLast("engine", DatagramEngineHandler.receiveOnly(engine, outbound));
                    }
                });
        Channel channel = bootstrap.connect(endpoint, local).addListener(done -> {
            if (!done.isSuccess()) {
                LOG.log(System.Logger.Level.DEBUG, "no socket of its own for {0}: {1}", Addresses.format(endpoint),
                        done.cause().toString());
            }
        }).channel();
        sockets.put(endpoint, channel);
    }

    /** Turns reads of every peer socket on or off (the transport's back-pressure). Loop only. */
    void setAutoRead(boolean on) {
        reads = on;
        sockets.values().forEach(ch -> ch.config().setAutoRead(on));
    }

    /** How many peer sockets are open (for tests). Loop only. */
    int size() {
        return sockets.size();
    }

    /** Closes every peer socket; reconcile does nothing afterwards. Loop only. */
    void close() {
        closed = true;
        sockets.values().forEach(Channel::close);
        sockets.clear();
    }
}
