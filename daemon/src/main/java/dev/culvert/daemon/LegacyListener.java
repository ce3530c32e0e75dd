package dev.culvert.daemon;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.EpollServerSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.function.Function;

/**
 * {@code culvert.listen.vtun-legacy}: the TCP listener vtund clients ({@code vtund SESSION HOST}) connect to. Each
 * connection runs {@link LegacyAuth.Server} and, authenticated, becomes the session of the server tunnel whose
 * {@code legacy.session} it named.
 */
final class LegacyListener implements AutoCloseable {
    /**
     * Connections still authenticating (each may take {@link LegacyAuth#TIMEOUT_SECONDS} s) beyond which a new one is
     * closed at once: a flood of idle connections costs a bounded amount of memory.
     */
    static final int MAX_AUTHENTICATING = 64;
    private static final System.Logger LOG = System.getLogger("culvert");
    private final Channel server;

    private LegacyListener(Channel server) {
        this.server = server;
    }

    /**
     * Binds {@code listen} on {@code loop}.
     *
     * @param sessions the server tunnel of a session name, or null (read at each authentication: reloads apply)
     * @param counters where the drops that concern no tunnel are counted ({@code vtun_unknown_session})
     * @throws IOException if the address cannot be bound, naming it
     */
    static LegacyListener bind(IoEventLoop loop, InetSocketAddress listen, Function<String, LegacyTunnel> sessions,
                               dev.culvert.protocol.Counters counters) throws IOException {
        java.util.concurrent.atomic.AtomicInteger authenticating = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicLong refused = new java.util.concurrent.atomic.AtomicLong();
        ChannelFuture bound = new ServerBootstrap().group(loop).channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (authenticating.get() >= MAX_AUTHENTICATING) {
                            counters.drop(dev.culvert.protocol.DropReason.UNAUTHENTICATED_CONNECTION);
                            if (refused.getAndIncrement() % 1000 == 0) {
                                LOG.log(System.Logger.Level.WARNING, "vtun-legacy: {0} connections are authenticating "
                                        + "already; closing new ones (a flood?), {1} so far", MAX_AUTHENTICATING,
                                        refused.get());
                            }
                            ch.close();
                            return;
                        }
                        authenticating.incrementAndGet();
                        ch.pipeline().addLast("vtun-auth", new LegacyAuth.Server(sessions, counters, authenticating::decrementAndGet));
                    }
                }).bind(listen).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new IOException("culvert.listen.vtun-legacy: cannot listen on " + Addresses.format(listen) + ": "
                    + bound.cause().getMessage(), bound.cause());
        }
        return new LegacyListener(bound.channel());
    }

    /** The bound address (its port when 0 was asked). */
    InetSocketAddress localAddress() {
        return (InetSocketAddress) server.localAddress();
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly();
    }
}
