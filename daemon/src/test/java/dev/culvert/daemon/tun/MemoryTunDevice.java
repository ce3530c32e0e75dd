package dev.culvert.daemon.tun;

import dev.culvert.config.DeviceMode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-memory {@link TunDevice} for tests (the twin of wireguard-go's {@code tun/tuntest}): the
 * test plays the kernel. {@link #inject} hands packets to the sink as if the device had read them;
 * {@link #written()} holds what was written to the device.
 *
 * <p>It keeps the real device's threading rules ({@link #start} and {@link #write} only on the
 * loop), so a pipeline that breaks them fails here too. Shared with other modules through the
 * daemon's test-jar.
 */
public final class MemoryTunDevice implements TunDevice {

    /** Default bound of {@link #written()}; writes beyond it are dropped and counted. */
    public static final int DEFAULT_WRITE_CAPACITY = 1024;
    /** Default name, mode and MTU. */
    public static final String DEFAULT_NAME = "mem0";
    public static final int DEFAULT_MTU = 1420;

    private final String name;
    private final DeviceMode mode;
    private final int mtu;
    private final EventLoop loop;
    private final BlockingQueue<ByteBuf> written;
    private final ArrayDeque<List<ByteBuf>> pendingBursts = new ArrayDeque<>();
    private final AtomicLong drops = new AtomicLong();
    private volatile TunPacketSink sink;
    private volatile boolean closed;

    /** A tun device named {@value #DEFAULT_NAME} with MTU {@value #DEFAULT_MTU}. */
    public MemoryTunDevice(EventLoop loop) {
        this(DEFAULT_NAME, DeviceMode.TUN, DEFAULT_MTU, loop, DEFAULT_WRITE_CAPACITY);
    }

    /** A device with every property chosen. */
    public MemoryTunDevice(String name, DeviceMode mode, int mtu, EventLoop loop, int writeCapacity) {
        this.name = Objects.requireNonNull(name, "name");
        this.mode = Objects.requireNonNull(mode, "mode");
        this.mtu = mtu;
        this.loop = Objects.requireNonNull(loop, "loop");
        this.written = new LinkedBlockingQueue<>(writeCapacity);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public DeviceMode mode() {
        return mode;
    }

    @Override
    public int mtu() {
        return mtu;
    }

    @Override
    public EventLoop eventLoop() {
        return loop;
    }

    @Override
    public void start(TunPacketSink newSink) {
        Objects.requireNonNull(newSink, "sink");
        requireEventLoop("start");
        if (closed) {
            throw new IllegalStateException("device '" + name + "' is closed");
        }
        if (sink != null) {
            throw new IllegalStateException("device '" + name + "' is already started");
        }
        sink = newSink;
        List<ByteBuf> burst;
        while ((burst = pendingBursts.pollFirst()) != null) {
            deliver(burst);
        }
    }

    /**
     * Delivers one packet as if read from the device: on the loop, {@code onPacket} then
     * {@code onReadComplete}. May be called from any thread. Before {@link #start} the packet is
     * held and delivered when reading starts; after {@link #close} it is released.
     */
    public void inject(ByteBuf packet) {
        inject(List.of(packet));
    }

    /** Delivers several packets as one read burst: each to {@code onPacket}, then one {@code onReadComplete}. */
    public void inject(List<ByteBuf> burst) {
        List<ByteBuf> copy = List.copyOf(burst);
        loop.execute(() -> {
            if (closed) {
                copy.forEach(ByteBuf::release);
            } else if (sink == null) {
                pendingBursts.addLast(copy);
            } else {
                deliver(copy);
            }
        });
    }

    private void deliver(List<ByteBuf> burst) {
        TunPacketSink target = sink;
        for (ByteBuf packet : burst) {
            target.onPacket(packet);
        }
        target.onReadComplete();
    }

    @Override
    public void write(ByteBuf packet) {
        if (!loop.inEventLoop()) {
            packet.release();
            requireEventLoop("write");
        }
        if (closed || !written.offer(packet)) {
            packet.release();
            drops.incrementAndGet();
        }
    }

    /**
     * The packets written to the device, oldest first. The test takes them and owns (must release)
     * what it takes; whatever is left is released by {@link #close()}.
     */
    public BlockingQueue<ByteBuf> written() {
        return written;
    }

    @Override
    public long drops() {
        return drops.get();
    }

    /** Whether {@link #start} has been called. */
    public boolean isStarted() {
        return sink != null;
    }

    /** Whether {@link #close} has been called. */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (loop.inEventLoop()) {
            close0();
        } else {
            loop.submit(this::close0).syncUninterruptibly();
        }
    }

    private void close0() {
        if (closed) {
            return;
        }
        closed = true;
        List<ByteBuf> burst;
        while ((burst = pendingBursts.pollFirst()) != null) {
            burst.forEach(ByteBuf::release);
        }
        ByteBuf packet;
        while ((packet = written.poll()) != null) {
            packet.release();
        }
    }

    private void requireEventLoop(String method) {
        if (!loop.inEventLoop()) {
            throw new IllegalStateException("TunDevice." + method + " must be called on the device's event loop, "
                    + "not on thread " + Thread.currentThread().getName());
        }
    }

    @Override
    public String toString() {
        return "MemoryTunDevice[" + name + ", " + mode + ", mtu=" + mtu + (closed ? ", closed]" : "]");
    }
}
