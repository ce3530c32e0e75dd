package dev.culvert.daemon;

import dev.culvert.protocol.Engine;
import dev.culvert.protocol.Limits;
import dev.culvert.protocol.TimeSource;
import dev.culvert.protocol.netty.StreamEngineHandler;
import dev.culvert.protocol.netty.StreamFrameDecoder;
import dev.culvert.protocol.netty.StreamFrameEncoder;
import dev.culvert.protocol.netty.StreamOutbound;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.wire.PacketRoom;
import dev.culvert.protocol.transport.FlowControl;
import dev.culvert.protocol.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.ScheduledFuture;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The TCP {@link Transport}: WireGuard messages on TCP streams, each framed by a 2-byte length
 * ({@link StreamFrameDecoder} in, {@link StreamFrameEncoder} out, written into the message's headroom). A
 * listener for peers that call in, and a dialler per client tunnel that redials forever with jittered
 * exponential backoff (0.5 s to 5 s; it starts over after a connection on which the server answered, so a server
 * that closes every connection unanswered is asked ever less often), looking the endpoint up afresh on every try — on the resolver
 * executor, never on the loop. Its own {@link Engine}; TCP_NODELAY; one writev per flush (Netty's epoll
 * stream channel gathers every flushed message into one iovec array); reads of up to 128 KiB.
 *
 * <p>Back-pressure: each connection has write-buffer water marks; when one crosses the high mark the
 * tunnels whose peer is behind it stop reading their devices, and read again once it drains. A device
 * that cannot take writes pauses reading on every connection.
 */
final class TcpTransport implements Transport {
    private static final System.Logger LOG = System.getLogger("culvert.tcp");
    private static final long REDIAL_MIN_MS = 500;
    private static final long REDIAL_MAX_MS = 5_000;
    /**
     * TCP_USER_TIMEOUT (tcp(7), RFC 5482): a connection whose sent data stays unacknowledged this long is dropped
     * by the kernel, and the dialler redials. KEEPALIVE + REKEY_TIMEOUT, the whitepaper's 15 s bound for "sent,
     * nothing heard back" (section 6.5). Without it a connection whose path died (the client's address gone when
     * it roamed, a link down for longer than the retransmissions' backoff) stays open for tcp_retries2's ~15 min.
     */
    static final int USER_TIMEOUT_MS = 15_000;
    /** Per connection: stop the tunnels' device reads above 1 MiB queued, resume below 256 KiB. */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(256 << 10, 1 << 20);
    /**
     * Reads start at 16 KiB and grow to 128 KiB while the socket fills them (Netty's adaptive sizing):
     * one read then carries up to ~90 full-size messages, each cut out in place by the decoder. 128 KiB
     * stays far below a quarter of the pooled allocator's 4 MiB chunk (see UdpTransport).
     */
    private static final AdaptiveRecvByteBufAllocator READS = new AdaptiveRecvByteBufAllocator(2048, 16 << 10, 128 << 10);

    private final IoEventLoop loop;
    private final Engine engine;
    private final StreamOutbound outbound = new StreamOutbound();
    private final Executor resolver;
    private final ScheduledFuture<?> ticker;
    private final FlowControl flow = new FlowControl(on -> outbound.channels().forEach(c -> c.config().setAutoRead(on)));
    private final Set<Dialler> diallers = new LinkedHashSet<>();
    private final TcpAdmission admission;
    private Channel listener;
    private volatile boolean closed;

    /**
     * @param resolver where endpoint look-ups (which may block on DNS) run
     */
    TcpTransport(IoEventLoop loop, LocalStatic identity, ByteBufAllocator alloc, Executor resolver) {
        this(loop, identity, alloc, resolver, TcpAdmission.AUTH_TIMEOUT_NANOS);
    }

    /** @param authTimeoutNanos how long an accepted connection may go without authenticating ({@link TcpAdmission}) */
    TcpTransport(IoEventLoop loop, LocalStatic identity, ByteBufAllocator alloc, Executor resolver, long authTimeoutNanos) {
        this.loop = loop;
        this.engine = new Engine(identity, TimeSource.of(loop.ticker()), new SecureRandom(), alloc, outbound,
                Limits.UNDER_LOAD_HANDSHAKES_PER_SECOND, HandshakeThread.executor(), loop);
        this.admission = new TcpAdmission(engine, authTimeoutNanos);
        this.resolver = resolver;
        this.ticker = loop.scheduleAtFixedRate(() -> {
            engine.tick();
            outbound.flush();
        }, Limits.TICK_NANOS, Limits.TICK_NANOS, TimeUnit.NANOSECONDS);
    }

    /** @param accepted a connection the listener accepted (it must authenticate: {@link TcpAdmission}), not a dial */
    private ChannelInitializer<SocketChannel> pipeline(Runnable onActive, boolean accepted) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                if (accepted) {
                    ch.pipeline().addLast("admission", admission.gate());
                }
                // Reads stay off until the connection is active: only then is it among outbound.channels(), which
                // every pause and resume reaches. A dial registered under the start pause and connected after the
                // resume would otherwise never read (issue 13).
                ch.config().setAutoRead(false);
                ch.pipeline().addLast("deframe", new StreamFrameDecoder(PacketRoom.MAX_MESSAGE))
                        .addLast("frame", new StreamFrameEncoder())
                        .addLast("engine", new StreamEngineHandler(engine, outbound, onActive, flow::writabilityChanged))
                        .addLast("reads", new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(ChannelHandlerContext ctx) {
                                // The engine handler has just listed it: from here on, pauses reach it.
                                ctx.channel().config().setAutoRead(!flow.paused());
                                ctx.fireChannelActive();
                            }
                        });
            }
        };
    }

    /** Listens for peers calling in on {@code local}. */
    void listen(InetSocketAddress requested) throws IOException {
        InetSocketAddress local = Addresses.bindable(requested);
        ChannelFuture bound = new ServerBootstrap().group(loop)
                .channelFactory(() -> Addresses.socketFamily(local) == null ? new EpollServerSocketChannel()
                        : new EpollServerSocketChannel(Addresses.socketFamily(local)))
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(EpollChannelOption.TCP_USER_TIMEOUT, USER_TIMEOUT_MS)
                .childOption(ChannelOption.ALLOCATOR, engine.alloc())
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, READS)
                .childHandler(pipeline(null, true))
                .bind(local).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            throw new IOException("cannot listen on tcp " + Addresses.format(local) + ": "
                    + (cause.getMessage() != null ? cause.getMessage() : cause.toString()), cause);
        }
        listener = bound.channel();
    }

    @Override
    public Engine engine() {
        return engine;
    }

    @Override
    public EventLoop eventLoop() {
        return loop;
    }

    @Override
    public InetSocketAddress localAddress() {
        return listener == null ? null : (InetSocketAddress) listener.localAddress();
    }

    @Override
    public void flush() {
        outbound.flush();
    }

    @Override
    public boolean isWritable(InetSocketAddress to) {
        return outbound.isWritable(to);
    }

    @Override
    public void addWritabilityListener(Runnable l) {
        flow.addWritabilityListener(l);
    }

    @Override
    public void removeWritabilityListener(Runnable l) {
        flow.removeWritabilityListener(l);
    }

    @Override
    public void pauseReads(Object holder) {
        flow.pause(holder);
    }

    @Override
    public void resumeReads(Object holder) {
        flow.resume(holder);
    }

    /** Accepted connections waiting to authenticate (for tests), read on the loop. */
    int pendingAdmissions() throws InterruptedException, java.util.concurrent.ExecutionException {
        return loop.submit(admission::pending).get();
    }

    /** Bytes written to the connections and not yet taken by the kernel. Loop only. */
    long pendingWriteBytes() {
        long sum = 0;
        for (Channel c : outbound.channels()) {
            io.netty.channel.ChannelOutboundBuffer out = c.unsafe().outboundBuffer();
            sum += out == null ? 0 : out.totalPendingWriteBytes();
        }
        return sum;
    }

    @Override
    public Connection connect(String tunnel, Supplier<InetSocketAddress> resolve, Runnable onReady) {
        Dialler d = new Dialler(tunnel, resolve, onReady);
        loop.execute(() -> {
            diallers.add(d);
            d.resolveThenConnect();
        });
        return d;
    }

    /** One client tunnel's connection: dialled, and redialled after every loss until closed. */
    private final class Dialler implements Connection {
        private final String name;
        private final Supplier<InetSocketAddress> resolve;
        private final Runnable onReady;
        private int failures;
        private Channel channel;
        /** Counts tries (loop only): an answer for an older one is dropped. */
        private int attempt;
        private ScheduledFuture<?> retry;
        private volatile boolean stopped;

        Dialler(String name, Supplier<InetSocketAddress> resolve, Runnable onReady) {
            this.name = name;
            this.resolve = resolve;
            this.onReady = onReady;
        }

        /** Looks the endpoint up on the resolver executor, then dials on the loop. */
        void resolveThenConnect() {
            if (stopped || closed) {
                return;
            }
            int mine = ++attempt;
            try {
                resolver.execute(() -> {
                    InetSocketAddress to = resolve.get();
                    if (!loop.isShuttingDown()) {
                        loop.execute(() -> {
                            if (mine == attempt) { // else a redial() started a newer try
                                connect(to);
                            }
                        });
                    }
                });
            } catch (RejectedExecutionException e) {
                // the daemon is stopping
            }
        }

        private void connect(InetSocketAddress to) {
            if (stopped || closed) {
                return;
            }
            if (to == null) {
                retryLater("cannot resolve the endpoint");
                return;
            }
            ChannelFuture f = new Bootstrap().group(loop).channel(EpollSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(EpollChannelOption.TCP_USER_TIMEOUT, USER_TIMEOUT_MS)
                    .option(ChannelOption.ALLOCATOR, engine.alloc())
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, READS)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                    .handler(pipeline(() -> {
                        LOG.log(System.Logger.Level.INFO, "tunnel {0}: connected to {1}", name, Addresses.format(to));
                        onReady.run();
                    }, false))
                    .connect(to);
            Channel ch = f.channel();
            channel = ch;
            f.addListener((ChannelFuture done) -> {
                if (channel != ch) {
                    return; // dropped by redial(), which dials anew itself
                }
                if (!done.isSuccess()) {
                    Throwable cause = done.cause();
                    retryLater("cannot connect to " + Addresses.format(to) + ": "
                            + (cause.getMessage() != null ? cause.getMessage() : cause.toString()));
                    return;
                }
                done.channel().closeFuture().addListener(c -> {
                    if (channel == ch) {
                        if (Boolean.TRUE.equals(ch.attr(StreamEngineHandler.PLACED_A_MESSAGE).get())) {
                            failures = 0; // the server answered on it: a lost connection, not a refusing server
                        }
                        retryLater("connection closed");
                    }
                });
            });
        }

        private void retryLater(String why) {
            if (stopped || closed) {
                return;
            }
            long base = Math.min(REDIAL_MAX_MS, REDIAL_MIN_MS << Math.min(failures, 5));
            long delay = base + ThreadLocalRandom.current().nextLong(base / 2 + 1);
            failures++;
            LOG.log(failures == 1 ? System.Logger.Level.INFO : System.Logger.Level.DEBUG,
                    "tunnel {0}: {1}; redialling in {2} ms", name, why, String.valueOf(delay));
            retry = loop.schedule(this::resolveThenConnect, delay, TimeUnit.MILLISECONDS);
        }

        /**
         * Drops the connection (or the wait before the next try) and dials again with a fresh look-up, at
         * once: the backoff starts over. Safe from any thread.
         */
        @Override
        public void redial() {
            loop.execute(() -> {
                if (stopped || closed) {
                    return;
                }
                LOG.log(System.Logger.Level.INFO, "tunnel {0}: the endpoint moved; redialling", name);
                failures = 0;
                if (retry != null) {
                    retry.cancel(false);
                    retry = null;
                }
                Channel old = channel;
                channel = null;
                if (old != null) {
                    old.close(); // its close listener would schedule a retry: this dialler dials now instead
                }
                resolveThenConnect();
            });
        }

        /** Stops redialling and closes the connection. Idempotent; safe from any thread. */
        @Override
        public void close() {
            stopped = true;
            Runnable stop = () -> {
                diallers.remove(this);
                if (retry != null) {
                    retry.cancel(false);
                }
                if (channel != null) {
                    channel.close();
                }
            };
            if (loop.inEventLoop()) {
                stop.run();
            } else if (!loop.isShuttingDown()) {
                loop.submit(stop).awaitUninterruptibly();
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ticker.cancel(false);
        if (listener != null) {
            listener.close().awaitUninterruptibly();
        }
        Runnable stop = () -> {
            List.copyOf(diallers).forEach(Dialler::close);
            List.copyOf(outbound.channels()).forEach(Channel::close);
            engine.close();
        };
        if (loop.inEventLoop()) {
            stop.run();
        } else if (!loop.isShuttingDown()) {
            loop.submit(stop).awaitUninterruptibly();
        }
    }
}
