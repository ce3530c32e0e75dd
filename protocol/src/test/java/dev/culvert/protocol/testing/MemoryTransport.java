package dev.culvert.protocol.testing;

import dev.culvert.protocol.Engine;
import dev.culvert.protocol.Limits;
import dev.culvert.protocol.Outbound;
import dev.culvert.protocol.TimeSource;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.transport.FlowControl;
import dev.culvert.protocol.transport.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The in-memory twin of a datagram {@link Transport}: what the engine sends is queued until
 * {@link #flush()}, then handed as one burst to the receiving transport's loop, which reads it like a
 * recvmmsg burst. Bytes sent and not yet read by the receiver count against a high water mark, so a
 * receiver whose reads are paused makes its senders unwritable: back-pressure end to end, in memory.
 */
public final class MemoryTransport implements Transport, Outbound {
    private record Datagram(ByteBuf data, InetSocketAddress from, MemoryTransport sender, int bytes) {}

    private final MemoryNetwork network;
    private final InetSocketAddress address;
    private final EventLoop loop;
    private final Engine engine;
    private final long highWater;
    private final List<ByteBuf> pending = new ArrayList<>();
    private final List<InetSocketAddress> pendingTo = new ArrayList<>();
    private final List<Datagram> backlog = new ArrayList<>();
    private final FlowControl flow = new FlowControl(on -> {
        if (on) {
            readBacklog();
        }
    });
    private final ScheduledFuture<?> ticker;
    private long inFlight;
    private boolean writable = true;
    private volatile boolean closed;

    MemoryTransport(MemoryNetwork network, InetSocketAddress address, EventLoop loop, LocalStatic local,
                    ByteBufAllocator alloc, long highWater) {
        this.network = network;
        this.address = address;
        this.loop = loop;
        this.highWater = highWater;
        this.engine = new Engine(local, TimeSource.of(loop.ticker()), new SecureRandom(), alloc, this);
        this.ticker = loop.scheduleAtFixedRate(engine::tick, Limits.TICK_NANOS, Limits.TICK_NANOS, TimeUnit.NANOSECONDS);
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
        return address;
    }

    @Override
    public boolean send(ByteBuf datagram, InetSocketAddress to) {
        if (closed || to == null) {
            datagram.release();
            return false;
        }
        pending.add(datagram);
        pendingTo.add(to);
        return true;
    }

    /** The datagrams sent and not yet flushed (a view: a test may copy them, never release them). */
    public List<ByteBuf> pendingDatagrams() {
        return java.util.Collections.unmodifiableList(pending);
    }

    @Override
    public void flush() {
        for (int i = 0; i < pending.size(); i++) {
            ByteBuf data = pending.get(i);
            MemoryTransport to = network.lookup(pendingTo.get(i));
            if (to == null || to.closed) {
                data.release();
                    continue;
            }
            int bytes = data.readableBytes();
            inFlight += bytes;
            to.loop.execute(() -> to.receive(new Datagram(data, address, this, bytes)));
        }
        pending.clear();
        pendingTo.clear();
        if (writable && inFlight > highWater) {
            writable = false;
            flow.writabilityChanged();
        }
    }

    /** On the receiver's loop: reads one datagram now, or keeps it while reads are paused. */
    private void receive(Datagram d) {
        if (closed) {
            d.data().release();
            d.sender().loop.execute(() -> d.sender().consumed(d.bytes()));
            return;
        }
        if (flow.paused()) {
            backlog.add(d);
            return;
        }
        engine.receive(d.data(), d.from());
        d.sender().loop.execute(() -> d.sender().consumed(d.bytes()));
        // One burst per loop turn: flush when nothing else is queued for us on this loop right now.
        loop.execute(this::endOfBurst);
    }

    private void endOfBurst() {
        engine.flushDelivered();
        flush();
    }

    /** On the sender's loop: the receiver has read {@code bytes}. */
    private void consumed(int bytes) {
        inFlight -= bytes;
        if (!writable && inFlight <= highWater / 2) {
            writable = true;
            flow.writabilityChanged();
        }
    }

    @Override
    public boolean isWritable(InetSocketAddress to) {
        return writable;
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

    /** Reads resumed: what arrived while they were paused is read now, as one burst. */
    private void readBacklog() {
        List<Datagram> held = new ArrayList<>(backlog);
        backlog.clear();
        for (Datagram d : held) {
            engine.receive(d.data(), d.from());
            d.sender().loop.execute(() -> d.sender().consumed(d.bytes()));
        }
        endOfBurst();
    }

    /** Datagram transports need no connection: {@code onReady} runs at once, on the loop. */
    @Override
    public Connection connect(String tunnel, Supplier<InetSocketAddress> resolve, Runnable onReady) {
        loop.execute(onReady);
        return Connection.NONE;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        network.detach(address, this);
        ticker.cancel(false);
        Runnable release = () -> {
            pending.forEach(ByteBuf::release);
            pending.clear();
            pendingTo.clear();
            backlog.forEach(d -> d.data().release());
            backlog.clear();
            engine.close();
        };
        if (loop.inEventLoop()) {
            release.run();
        } else if (!loop.isShuttingDown()) {
            loop.submit(release).awaitUninterruptibly();
        }
    }
}
