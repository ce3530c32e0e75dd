package dev.culvert.daemon.tun;

import dev.culvert.config.DeviceMode;
import dev.culvert.protocol.offload.DeviceOffloads;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.AbstractChannel;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.util.internal.StringUtil;
import java.net.SocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Predicate;

/**
 * The in-memory twin of {@link TunChannel} for tests (as wireguard-go's {@code tun/tuntest}): the test
 * plays the kernel. It registers on any event loop ({@code DefaultEventLoop}, a {@code LocalIoHandler}
 * loop, an {@code EmbeddedChannel}'s loop), takes the same {@link TunChannelConfig} and follows the
 * same rules as the real channel.
 *
 * <pre>
 * Inbound ("kernel" to pipeline)
 *   1. {@link #inject} (any thread) queues a packet as if the kernel had routed it to the device.
 *   2. On the loop, while auto-read is on or a read() is pending, up to MAX_MESSAGES_PER_READ queued
 *      packets are copied into buffers laid out as the real channel's (HEADROOM before, TAILROOM
 *      after the largest packet; with the virtio-net header, exactly TAILROOM after the packet); a packet
 *      longer than mtu (+ 18 in tap mode; with the header 10 + 65535, + 18) is dropped and counted.
 *   3. channelRead per packet, channelReadComplete per burst; the rest waits for the next turn.
 * Outbound (pipeline to "kernel")
 *   1. Netty's ChannelOutboundBuffer holds written packets; its water marks drive writability.
 *   2. flush(): while the kernel accepts ({@link #setKernelAccepting}), each packet moves to
 *      {@link #written()}; one it refuses ({@link #refuseWhen}) is dropped and counted.
 *   3. While it does not accept, packets stay queued and writability turns false past the high
 *      water mark; accepting again flushes them, as EPOLLOUT does.
 * </pre>
 *
 * <p>With an {@code EmbeddedChannel}'s loop, tasks scheduled by {@link #inject} run when the test
 * calls {@code runPendingTasks()}. Shared with other modules through the daemon's test-jar.
 */
public final class MemoryTunChannel extends AbstractChannel implements TunDevice {

    /** Default name, mode and MTU. */
    public static final String DEFAULT_NAME = "mem0";
    public static final int DEFAULT_MTU = 1420;

    private static final ChannelMetadata METADATA =
            new ChannelMetadata(false, TunChannelConfig.DEFAULT_MAX_MESSAGES_PER_READ);

    private final String name;
    private final DeviceMode mode;
    private final int mtu;
    private final DeviceOffloads offloads;
    private final TunChannelConfig config;
    private final Queue<ByteBuf> inbound = new ConcurrentLinkedQueue<>();
    private final BlockingQueue<ByteBuf> written = new LinkedBlockingQueue<>();
    private volatile boolean open = true;
    private volatile boolean kernelAccepting = true;
    private volatile Predicate<ByteBuf> refuse = packet -> false;
    private volatile long writeErrors;
    private volatile long oversizedReads;

    // Loop-confined.
    private boolean readPending;
    private boolean deliveryScheduled;

    /** A tun channel named {@value #DEFAULT_NAME} with MTU {@value #DEFAULT_MTU}. */
    public MemoryTunChannel() {
        this(DEFAULT_NAME, DeviceMode.TUN, DEFAULT_MTU);
    }

    /** A plain channel ({@link DeviceOffloads#NONE}) with name, mode and MTU chosen. */
    public MemoryTunChannel(String name, DeviceMode mode, int mtu) {
        this(name, mode, mtu, DeviceOffloads.NONE);
    }

    /**
     * A channel with every property chosen. With {@code offloads.vnetHeader()} the test injects and receives
     * packets that start with a virtio_net_hdr, and reads may be up to 10 + 65535 (+ 18 on tap) bytes long.
     */
    public MemoryTunChannel(String name, DeviceMode mode, int mtu, DeviceOffloads offloads) {
        super(null);
        this.offloads = Objects.requireNonNull(offloads, "offloads");
        this.name = Objects.requireNonNull(name, "name");
        this.mode = Objects.requireNonNull(mode, "mode");
        if (mtu < TunChannel.MIN_MTU || mtu > TunChannel.MAX_MTU) {
            throw new IllegalArgumentException("invalid MTU " + mtu);
        }
        this.mtu = mtu;
        this.config = new TunChannelConfig(this, this::autoReadCleared);
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
    public DeviceOffloads offloads() {
        return offloads;
    }

    /** Packets the "kernel" refused ({@link #refuseWhen}); dropped. */
    public long writeErrors() {
        return writeErrors;
    }

    /** Injected packets longer than the device can deliver; dropped. */
    public long oversizedReads() {
        return oversizedReads;
    }

    /**
     * Makes the "kernel" send {@code packet}'s readable bytes into the channel; takes ownership. Any
     * thread. Held while auto-read is off and no read() is pending, released if the channel is closed.
     */
    public void inject(ByteBuf packet) {
        inject(List.of(packet));
    }

    /** Same as {@link #inject(ByteBuf)} with a copy of {@code packet}. */
    public void inject(byte[] packet) {
        inject(Unpooled.wrappedBuffer(packet.clone()));
    }

    /** Injects several packets at once; they are read as one burst if the burst bound allows. */
    public void inject(List<ByteBuf> packets) {
        if (!open) {
            packets.forEach(ByteBuf::release);
            return;
        }
        inbound.addAll(packets);
        if (!open) {
            releaseInbound(); // closed meanwhile
            return;
        }
        if (isRegistered()) {
            eventLoop().execute(this::scheduleDelivery);
        }
    }

    /**
     * The packets written to the "kernel", oldest first. The test takes them and owns (must release)
     * what it takes; whatever is left is released when the channel closes.
     */
    public BlockingQueue<ByteBuf> written() {
        return written;
    }

    /**
     * Whether the "kernel" takes writes (default true). While false, flushed packets stay in the outbound
     * buffer, so writability turns false past the high water mark; true again flushes them. Any thread.
     */
    public void setKernelAccepting(boolean accepting) {
        kernelAccepting = accepting;
        if (accepting && isRegistered()) {
            eventLoop().execute(() -> ((MemoryUnsafe) unsafe()).writableAgain());
        }
    }

    /** Makes the "kernel" refuse (drop and count in {@link #writeErrors()}) the packets that match. */
    public void refuseWhen(Predicate<ByteBuf> refuse) {
        this.refuse = Objects.requireNonNull(refuse, "refuse");
    }

    /** Injected packets not read yet. */
    public int pendingInbound() {
        return inbound.size();
    }

    @Override
    public TunChannelConfig config() {
        return config;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isActive() {
        return open;
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new MemoryUnsafe();
    }

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return true;
    }

    @Override
    protected void doBeginRead() {
        readPending = true;
        scheduleDelivery();
    }

    @Override
    protected void doClose() {
        open = false;
        releaseInbound();
        ByteBuf packet;
        while ((packet = written.poll()) != null) {
            packet.release();
        }
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) {
        for (;;) {
            Object msg = in.current();
            if (msg == null || !kernelAccepting) {
                return;
            }
            ByteBuf packet = (ByteBuf) msg;
            if (packet.readableBytes() == 0) {
                in.remove();
            } else if (refuse.test(packet)) {
                writeErrors++;
                in.remove();
            } else {
                written.add(packet.retain());
                in.remove();
            }
        }
    }

    @Override
    protected Object filterOutboundMessage(Object msg) {
        if (msg instanceof ByteBuf) {
            return msg;
        }
        throw new UnsupportedOperationException("unsupported message type: " + StringUtil.simpleClassName(msg)
                + " (a tun channel writes ByteBufs, one packet each)");
    }

    @Override
    protected SocketAddress localAddress0() {
        return null;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return null;
    }

    @Override
    protected void doBind(SocketAddress localAddress) {
        throw new UnsupportedOperationException("a tun channel has no address to bind");
    }

    @Override
    protected void doDisconnect() {
        doClose();
    }

    @Override
    public String toString() {
        return "MemoryTunChannel[id: 0x" + id().asShortText() + ", " + name + ", " + mode + ", mtu=" + mtu
                + (open ? "]" : ", closed]");
    }

    private void autoReadCleared() {
        if (!isRegistered()) {
            readPending = false;
        } else if (eventLoop().inEventLoop()) {
            readPending = false;
        } else {
            eventLoop().execute(() -> {
                if (!config.isAutoRead()) {
                    readPending = false;
                }
            });
        }
    }

    /** As level-triggered epoll: the queue is looked at again on a later turn of the loop. */
    private void scheduleDelivery() {
        if (deliveryScheduled || inbound.isEmpty() || !open) {
            return;
        }
        deliveryScheduled = true;
        eventLoop().execute(this::deliverBurst);
    }

    private void deliverBurst() {
        deliveryScheduled = false;
        if (!open) {
            releaseInbound();
            return;
        }
        if (!readPending && !config.isAutoRead()) {
            return; // waits for read()
        }
        boolean granted = !config.isAutoRead();
        int headroom = config.headroom();
        int maxPacket = TunChannel.maxPacketLength(mode, mtu, offloads.vnetHeader());
        int capacity = TunChannel.readCapacity(headroom, maxPacket, config.tailroom());
        boolean exactSize = capacity > TunChannel.COPY_LIMIT; // as the real channel's copies out of its scratch
        ChannelPipeline pipeline = pipeline();
        int delivered = 0;
        try {
            for (int i = 0; i < config.maxMessagesPerRead() && open; i++) {
                if (!granted && !config.isAutoRead() && !readPending) {
                    break;
                }
                ByteBuf injected = inbound.poll();
                if (injected == null) {
                    break;
                }
                int length = injected.readableBytes();
                if (length > maxPacket) {
                    injected.release();
                    oversizedReads++;
                    continue;
                }
                ByteBuf packet = alloc().directBuffer(exactSize ? headroom + length + config.tailroom() : capacity);
                packet.setBytes(headroom, injected, injected.readerIndex(), length);
                packet.setIndex(headroom, headroom + length);
                injected.release();
                readPending = false;
                delivered++;
                pipeline.fireChannelRead(packet);
            }
        } finally {
            if (delivered > 0) {
                pipeline.fireChannelReadComplete();
            }
            if (config.isAutoRead() || readPending) {
                scheduleDelivery();
            }
        }
    }

    private void releaseInbound() {
        ByteBuf packet;
        while ((packet = inbound.poll()) != null) {
            packet.release();
        }
    }

    private final class MemoryUnsafe extends AbstractUnsafe {

        @Override
        public void connect(SocketAddress remote, SocketAddress local, ChannelPromise promise) {
            if (promise.setUncancellable()) {
                promise.setFailure(new UnsupportedOperationException("a tun channel has no peer to connect to"));
            }
        }

        /** The "kernel" takes writes again: flush what waits, as EPOLLOUT does. */
        void writableAgain() {
            flush0();
        }
    }
}
