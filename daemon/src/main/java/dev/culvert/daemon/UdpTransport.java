package dev.culvert.daemon;

import dev.culvert.protocol.Engine;
import dev.culvert.protocol.TimeSource;
import dev.culvert.protocol.netty.ChannelOutbound;
import dev.culvert.protocol.netty.DatagramEngineHandler;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.transport.FlowControl;
import dev.culvert.protocol.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.function.Supplier;

/**
 * The UDP {@link Transport} every UDP tunnel's WireGuard messages use: one epoll datagram channel,
 * reading many datagrams per recvmmsg (each a view of one pooled buffer, opened in place) and writing
 * many per sendmmsg (written by the engine, flushed once per burst by the tunnels). Its
 * {@link DatagramEngineHandler} ticks the engine's housekeeping on the channel's loop.
 */
final class UdpTransport implements Transport {
    /** How many maximum-size datagrams one read buffer holds: the recvmmsg batch. */
    private static final int DATAGRAMS_PER_READ = 32;
    private static final int SOCKET_BUFFER_BYTES = 4 << 20;
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(1 << 20, 4 << 20);

    private final Channel channel;
    private final Engine engine;
    private final DatagramEngineHandler handler;
    private final FlowControl flow;

    private UdpTransport(Channel channel, Engine engine, DatagramEngineHandler handler, FlowControl flow) {
        this.channel = channel;
        this.engine = engine;
        this.handler = handler;
        this.flow = flow;
    }

    /**
     * Binds to {@code local} on {@code loop} with an engine of its own for {@code identity}.
     *
     * @param maxDatagram the largest datagram expected in bytes (the tunnels' largest transport message)
     * @throws IOException naming the address if it cannot be bound
     */
    static UdpTransport bind(IoEventLoop loop, InetSocketAddress local, int maxDatagram, LocalStatic identity,
                             ByteBufAllocator alloc) throws IOException {
        ChannelOutbound outbound = new ChannelOutbound();
        Engine engine = new Engine(identity, TimeSource.of(loop.ticker()), new SecureRandom(), alloc, outbound);
        Channel[] socket = new Channel[1];
        FlowControl flow = new FlowControl(on -> socket[0].config().setAutoRead(on));
        DatagramEngineHandler handler = new DatagramEngineHandler(engine, outbound, flow::writabilityChanged);
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(EpollDatagramChannel.class)
                .option(ChannelOption.ALLOCATOR, alloc)
                .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER_BYTES)
                .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER_BYTES)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, maxDatagram)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(maxDatagram * DATAGRAMS_PER_READ))
                .handler(handler);
        ChannelFuture bound = bootstrap.bind(local).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            throw new IOException("cannot listen on udp " + Addresses.format(local) + ": "
                    + (cause.getMessage() != null ? cause.getMessage() : cause.toString()), cause);
        }
        socket[0] = bound.channel();
        return new UdpTransport(bound.channel(), engine, handler, flow);
    }

    @Override
    public Engine engine() {
        return engine;
    }

    @Override
    public EventLoop eventLoop() {
        return channel.eventLoop();
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

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        if (channel.eventLoop().inEventLoop()) {
            engine.close();
        } else if (!channel.eventLoop().isShuttingDown()) {
            channel.eventLoop().submit(engine::close).awaitUninterruptibly();
        }
    }
}
