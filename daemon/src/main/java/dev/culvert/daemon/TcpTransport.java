package dev.culvert.daemon;

import dev.culvert.protocol.Engine;
import dev.culvert.protocol.Limits;
import dev.culvert.protocol.netty.StreamEngineHandler;
import dev.culvert.protocol.netty.StreamFrameDecoder;
import dev.culvert.protocol.netty.StreamOutbound;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.util.concurrent.ScheduledFuture;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * WireGuard messages over TCP, each with a 2-byte length: a listener for peers that call in and a
 * dialler per client tunnel that redials forever with jittered exponential backoff (0.5 s to 5 s),
 * re-resolving the endpoint on every try. Its own {@link Engine} (tunnels using TCP) on the
 * daemon's event loop; TCP_NODELAY everywhere.
 */
final class TcpTransport implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("culvert.tcp");
    private static final long REDIAL_MIN_MS = 500;
    private static final long REDIAL_MAX_MS = 5_000;

    private final IoEventLoop loop;
    private final Engine engine;
    private final StreamOutbound outbound;
    private final int maxFrame;
    private final ScheduledFuture<?> ticker;
    private final List<Dialler> diallers = new ArrayList<>();
    private Channel listener;
    private volatile boolean closed;

    TcpTransport(IoEventLoop loop, Engine engine, StreamOutbound outbound, int maxFrame) {
        this.loop = loop;
        this.engine = engine;
        this.outbound = outbound;
        this.maxFrame = maxFrame;
        this.ticker = loop.scheduleAtFixedRate(() -> {
            engine.tick();
            outbound.flush();
        }, Limits.TICK_NANOS, Limits.TICK_NANOS, TimeUnit.NANOSECONDS);
    }

    private ChannelInitializer<SocketChannel> pipeline(Runnable onActive) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new StreamFrameDecoder(maxFrame), new LengthFieldPrepender(2),
                        new StreamEngineHandler(engine, outbound, onActive));
            }
        };
    }

    /** Listens for peers calling in on {@code local}. */
    void listen(InetSocketAddress local) throws IOException {
        ChannelFuture bound = new ServerBootstrap().group(loop).channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(pipeline(null))
                .bind(local).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            throw new IOException("cannot listen on tcp " + Addresses.format(local) + ": "
                    + (cause.getMessage() != null ? cause.getMessage() : cause.toString()), cause);
        }
        listener = bound.channel();
    }

    InetSocketAddress listenAddress() {
        return listener == null ? null : (InetSocketAddress) listener.localAddress();
    }

    /**
     * Keeps a connection to a client tunnel's server up: dials now, and again after every loss.
     *
     * @param resolve the endpoint, resolved afresh for each dial (null if it cannot be resolved now)
     * @param onConnected run on the loop when a connection is up (the tunnel starts its handshake)
     * @param name the tunnel, for logs
     */
    void dial(String name, Supplier<InetSocketAddress> resolve, Runnable onConnected) {
        Dialler d = new Dialler(name, resolve, onConnected);
        diallers.add(d);
        loop.execute(d::connect);
    }

    private final class Dialler {
        private final String name;
        private final Supplier<InetSocketAddress> resolve;
        private final Runnable onConnected;
        private int failures;
        private Channel channel;

        Dialler(String name, Supplier<InetSocketAddress> resolve, Runnable onConnected) {
            this.name = name;
            this.resolve = resolve;
            this.onConnected = onConnected;
        }

        void connect() {
            if (closed) {
                return;
            }
            InetSocketAddress to = resolve.get();
            if (to == null) {
                retryLater("cannot resolve the endpoint");
                return;
            }
            new Bootstrap().group(loop).channel(EpollSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                    .handler(pipeline(() -> {
                        failures = 0;
                        LOG.log(System.Logger.Level.INFO, "tunnel {0}: connected to {1}", name, Addresses.format(to));
                        onConnected.run();
                    }))
                    .connect(to).addListener((ChannelFuture f) -> {
                        if (!f.isSuccess()) {
                            Throwable cause = f.cause();
                            retryLater("cannot connect to " + Addresses.format(to) + ": "
                                    + (cause.getMessage() != null ? cause.getMessage() : cause.toString()));
                            return;
                        }
                        channel = f.channel();
                        channel.closeFuture().addListener(c -> retryLater("connection closed"));
                    });
        }

        private void retryLater(String why) {
            if (closed) {
                return;
            }
            long base = Math.min(REDIAL_MAX_MS, REDIAL_MIN_MS << Math.min(failures, 5));
            long delay = base + ThreadLocalRandom.current().nextLong(base / 2 + 1);
            failures++;
            LOG.log(failures == 1 ? System.Logger.Level.INFO : System.Logger.Level.DEBUG,
                    "tunnel {0}: {1}; redialling in {2} ms", name, why, String.valueOf(delay));
            loop.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
        }

        void close() {
            if (channel != null) {
                channel.close();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        ticker.cancel(false);
        if (listener != null) {
            listener.close().awaitUninterruptibly();
        }
        if (loop.inEventLoop()) {
            diallers.forEach(Dialler::close);
        } else if (!loop.isShuttingDown()) {
            loop.submit(() -> diallers.forEach(Dialler::close)).awaitUninterruptibly();
        }
    }
}
