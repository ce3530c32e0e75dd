package dev.culvert.daemon;

import dev.culvert.protocol.Engine;
import dev.culvert.protocol.Limits;
import dev.culvert.protocol.TimeSource;
import dev.culvert.protocol.netty.ChannelOutbound;
import dev.culvert.protocol.netty.DatagramEngineHandler;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.wire.PacketRoom;
import dev.culvert.protocol.transport.FlowControl;
import dev.culvert.protocol.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.util.concurrent.ScheduledFuture;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The UDP {@link Transport} every UDP tunnel's WireGuard messages use: one epoll datagram channel,
 * reading many datagrams per recvmmsg (each a view of one pooled buffer, opened in place) and writing
 * many per sendmmsg (written by the engine, flushed once per burst by the tunnels). Its
 * {@link DatagramEngineHandler} ticks the engine's housekeeping on the channel's loop.
 *
 * <p>With offloads on, runs of equal-size datagrams to one peer leave as one {@code UDP_SEGMENT} send
 * ({@link UdpGsoHandler}), and reads take {@code UDP_GRO} coalesced datagrams, which Netty splits back
 * into retained slices of the read buffer (both its recvmsg and recvmmsg paths), each opened in place.
 */
final class UdpTransport implements Transport {
    private static final System.Logger LOG = System.getLogger("culvert.udp");
    /**
     * How many datagrams one read buffer holds without GRO: the recvmmsg batch. Each slot holds the
     * largest datagram the protocol allows ({@link PacketRoom#MAX_MESSAGE}), whatever the local MTU: a
     * peer's MTU may be larger. 8 slots are 512 KiB, below a quarter of the pool's 4 MiB chunk (see
     * {@link #GRO_SLOT_BYTES}); it was 32 slots of the local largest message before issue 13.
     */
    static final int DATAGRAMS_PER_READ = 8;
    /**
     * With GRO a read must hold a whole coalesced datagram (up to 64 KiB; less truncates it), and Netty
     * 4.2.18 only reports the segment size of one on its recvmsg path: its recvmmsg passes no control
     * buffer, so a coalesced datagram would arrive unsplit (netty/netty#17492, fixed after 4.2.18). So a
     * GRO read is one 64 KiB slot, read by recvmsg, carrying up to 64 datagrams of one peer. Once Netty
     * is upgraded, several slots (8: 512 KiB, below a quarter of the pool's 4 MiB chunk, whose emptying
     * would free and re-zero it on every read, ~100 us instead of ~0.2 us) restore recvmmsg batching for
     * datagrams that were not coalesced; NettyGroReadTest says when.
     */
    static final int GRO_SLOT_BYTES = 65_535;
    static final int GRO_SLOTS_PER_READ = 1;
    /**
     * Datagrams (GRO segments count one each) read per wake-up of a GRO socket. Netty's default of 16
     * made one-datagram recvmsg reads of traffic that was not coalesced ~30 % slower than 32-slot
     * recvmmsg without GRO (UdpGsoBench, 1400-byte datagrams on loopback); 64 brings them level. At most
     * 64 read buffers (4 MiB) are held until the burst's flush releases them.
     */
    static final int GRO_DATAGRAMS_PER_WAKE = 64;
    private static final int SOCKET_BUFFER_BYTES = 4 << 20;
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(1 << 20, 4 << 20);

    private final Channel channel;
    private final Engine engine;
    private final DatagramEngineHandler handler;
    private final FlowControl flow;
    private final UdpGsoHandler gso;
    private final PeerSockets peerSockets;
    private final ScheduledFuture<?> reconciler;

    private UdpTransport(Channel channel, Engine engine, DatagramEngineHandler handler, FlowControl flow,
                         UdpGsoHandler gso, PeerSockets peerSockets, ScheduledFuture<?> reconciler) {
        this.channel = channel;
        this.engine = engine;
        this.handler = handler;
        this.flow = flow;
        this.gso = gso;
        this.peerSockets = peerSockets;
        this.reconciler = reconciler;
    }

    /**
     * Binds to {@code local} on {@code loop} with an engine of its own for {@code identity}.
     *
     * @param offload     try UDP GSO ({@code UDP_SEGMENT}) on send and GRO ({@code UDP_GRO}) on receive,
     *                    each falling back to one datagram per entry where the kernel refuses
     * @throws IOException naming the address if it cannot be bound
     */
    static UdpTransport bind(IoEventLoop loop, InetSocketAddress local, LocalStatic identity,
                             ByteBufAllocator alloc, boolean offload) throws IOException {
        return bind(loop, local, identity, alloc, offload, null);
    }

    /**
     * As {@link #bind(IoEventLoop, InetSocketAddress, LocalStatic, ByteBufAllocator, boolean)}, with the
     * socket's reads paused under {@code pausedBy} from before the bind (auto-read off), so nothing is read
     * until {@code resumeReads(pausedBy)}; null reads at once.
     */
    static UdpTransport bind(IoEventLoop loop, InetSocketAddress requested, LocalStatic identity,
                             ByteBufAllocator alloc, boolean offload, Object pausedBy) throws IOException {
        InetSocketAddress local = Addresses.bindable(requested);
        ChannelOutbound outbound = new ChannelOutbound();
        Engine engine = new Engine(identity, TimeSource.of(loop.ticker()), new SecureRandom(), alloc, outbound,
                Limits.UNDER_LOAD_HANDSHAKES_PER_SECOND, HandshakeThread.executor(), loop);
        Channel[] socket = new Channel[1];
        PeerSockets[] peerSockets = new PeerSockets[1];
        FlowControl flow = new FlowControl(on -> {
            socket[0].config().setAutoRead(on);
            if (peerSockets[0] != null) {
                peerSockets[0].setAutoRead(on);
            }
        });
        requireFree(local);
        DatagramEngineHandler handler = new DatagramEngineHandler(engine, outbound, flow::writabilityChanged);
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channelFactory(() -> Addresses.socketFamily(local) == null ? new EpollDatagramChannel()
                        : new EpollDatagramChannel(Addresses.socketFamily(local)))
                .option(ChannelOption.ALLOCATOR, alloc)
                .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER_BYTES)
                .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER_BYTES)
                .option(EpollChannelOption.SO_REUSEPORT, true) // for the peer sockets (PeerSockets); see requireFree
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .option(ChannelOption.AUTO_READ, pausedBy == null)
                .handler(handler);
        ChannelFuture registered = bootstrap.register().awaitUninterruptibly();
        if (!registered.isSuccess()) {
            throw cannotListen(local, registered.cause());
        }
        Channel channel = registered.channel();
        socket[0] = channel;
        UdpGsoHandler gso = onLoop(channel, local, () -> {
            if (pausedBy != null) {
                flow.pause(pausedBy);
            }
            return configureOffloads(channel, offload, true);
        });
        ChannelFuture bound = channel.bind(local).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            channel.close();
            throw cannotListen(local, bound.cause());
        }
        PeerSockets peers = new PeerSockets(loop, engine, outbound, alloc, (InetSocketAddress) channel.localAddress(),
                offload, SOCKET_BUFFER_BYTES);
        ScheduledFuture<?> reconciler = onLoop(channel, local, () -> {
            peerSockets[0] = peers;
            if (flow.paused()) {
                peers.setAutoRead(false);
            }
            Runnable reconcile = PeerSockets.ENABLED ? peers::reconcile : () -> { };
            return loop.scheduleAtFixedRate(reconcile, Limits.TICK_NANOS, Limits.TICK_NANOS, TimeUnit.NANOSECONDS);
        });
        return new UdpTransport(channel, engine, handler, flow, gso, peers, reconciler);
    }

    /**
     * Runs a step of the socket's set-up on its event loop and waits for it; on failure closes the socket.
     *
     * @throws IOException naming {@code local} when the step fails or the wait is interrupted
     */
    private static <T> T onLoop(Channel channel, InetSocketAddress local, java.util.concurrent.Callable<T> step)
            throws IOException {
        try {
            return channel.eventLoop().submit(step).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            channel.close();
            throw new IOException("interrupted while binding udp " + Addresses.format(local), e);
        } catch (ExecutionException e) {
            channel.close();
            throw cannotListen(local, e.getCause());
        }
    }

    /**
     * The listening socket takes {@code SO_REUSEPORT}, so that the {@link PeerSockets} can bind its port; with it, a
     * second socket of the same user on the same port would bind too and silently take part of the traffic. So a
     * plain socket (without the option) binds the address first and lets go: if anyone holds the port, that fails
     * as binding always did. A port of 0 (any free one) needs no check.
     */
    private static void requireFree(InetSocketAddress local) throws IOException {
        if (local.getPort() == 0) {
            return;
        }
        java.net.ProtocolFamily family = local.getAddress() instanceof java.net.Inet4Address
                ? java.net.StandardProtocolFamily.INET : java.net.StandardProtocolFamily.INET6;
        try (java.nio.channels.DatagramChannel probe = java.nio.channels.DatagramChannel.open(family)) {
            probe.bind(local);
        } catch (IOException e) {
            throw cannotListen(local, e);
        }
    }

    private static IOException cannotListen(InetSocketAddress local, Throwable cause) {
        return new IOException("cannot listen on udp " + Addresses.format(local) + ": "
                + (cause.getMessage() != null ? cause.getMessage() : cause.toString()), cause);
    }

    /**
     * On the loop, before bind: the socket's reads — GRO ({@code UDP_GRO}, kernel 5.0+) with slots that hold a
     * coalesced datagram, which Netty splits back into datagrams, if {@code gro} asks and the kernel allows; else
     * {@link #DATAGRAMS_PER_READ} datagrams of up to {@code largestDatagram} bytes per {@code recvmmsg}.
     *
     * @return whether GRO is on
     */
    static boolean configureReads(Channel channel, boolean gro, int largestDatagram) {
        boolean on = false;
        if (gro) {
            try {
                on = channel.config().setOption(EpollChannelOption.UDP_GRO, true)
                        && channel.config().getOption(EpollChannelOption.UDP_GRO);
            } catch (ChannelException e) {
                LOG.log(System.Logger.Level.INFO, "udp gro refused by the kernel: {0}", e.getMessage());
            }
        }
        int slot = on ? GRO_SLOT_BYTES : largestDatagram;
        int slots = on ? GRO_SLOTS_PER_READ : DATAGRAMS_PER_READ;
        channel.config().setOption(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, slot);
        FixedRecvByteBufAllocator reads = new FixedRecvByteBufAllocator(slot * slots);
        if (on) {
            reads.maxMessagesPerRead(GRO_DATAGRAMS_PER_WAKE);
        }
        channel.config().setOption(ChannelOption.RCVBUF_ALLOCATOR, reads);
        return on;
    }

    /**
     * On the loop, before bind: GRO with read slots that hold a coalesced datagram, and the GSO handler in
     * front of the engine's, as far as {@code offload} asks and the kernel allows; logs what is on.
     *
     * @return the GSO handler, or null if GSO is off
     */
    static UdpGsoHandler configureOffloads(Channel channel, boolean offload, boolean announce) {
        boolean gro = configureReads(channel, offload, PacketRoom.MAX_MESSAGE);
        UdpGsoHandler gso = null;
        if (offload && EpollDatagramChannel.isSegmentedDatagramPacketSupported()) {
            gso = new UdpGsoHandler();
            channel.pipeline().addFirst("gso", gso);
        }
        String on = (gso != null ? "gso " : "") + (gro ? "gro" : "");
        if (announce) {
            LOG.log(System.Logger.Level.INFO, "udp offloads: {0}", on.isBlank() ? "off" : on.strip());
        }
        return gso;
    }

    @Override
    public Engine engine() {
        return engine;
    }

    @Override
    public EventLoop eventLoop() {
        return channel.eventLoop();
    }

    /** The socket's channel, for tests that ask the kernel about it. */
    Channel channel() {
        return channel;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void flush() {
        channel.flush();
    }

    @Override
    public boolean isWritable(InetSocketAddress to) {
        return channel.isWritable();
    }

    @Override
    public void addWritabilityListener(Runnable listener) {
        flow.addWritabilityListener(listener);
    }

    @Override
    public void removeWritabilityListener(Runnable listener) {
        flow.removeWritabilityListener(listener);
    }

    @Override
    public void pauseReads(Object holder) {
        flow.pause(holder);
    }

    @Override
    public void resumeReads(Object holder) {
        flow.resume(holder);
    }

    /** A datagram socket needs no connection: {@code onReady} runs at once, on the loop. */
    @Override
    public Connection connect(String tunnel, Supplier<InetSocketAddress> resolve, Runnable onReady) {
        channel.eventLoop().execute(onReady);
        return Connection.NONE;
    }

    /** Errors the socket reported (unreachable peers and the like). */
    long socketErrors() {
        return handler.socketErrors();
    }

    /** Segmented sends (one sendmsg entry carrying several datagrams) so far; 0 with GSO off. Loop only. */
    long segmentedSends() {
        return gso == null ? 0 : gso.segmentedSends();
    }

    /** Datagrams sent inside segmented sends so far. Loop only. */
    long segmentedDatagrams() {
        return gso == null ? 0 : gso.segmentedDatagrams();
    }

    /** True while GSO is on (false if never on, or after a refused send switched it off). Loop only. */
    boolean gsoEnabled() {
        return gso != null && gso.enabled();
    }

    /** True if the socket receives with UDP_GRO. */
    boolean groEnabled() {
        return channel.config().getOption(EpollChannelOption.UDP_GRO);
    }

    /** Peer sockets open now (see {@link PeerSockets}). Loop only. */
    int peerSockets() {
        return peerSockets.size();
    }

    @Override
    public void close() {
        reconciler.cancel(false);
        if (channel.eventLoop().inEventLoop()) {
            peerSockets.close();
        } else if (!channel.eventLoop().isShuttingDown()) {
            channel.eventLoop().submit(peerSockets::close).awaitUninterruptibly();
        }
        channel.close().awaitUninterruptibly();
        if (channel.eventLoop().inEventLoop()) {
            engine.close();
        } else if (!channel.eventLoop().isShuttingDown()) {
            channel.eventLoop().submit(engine::close).awaitUninterruptibly();
        }
    }
}
