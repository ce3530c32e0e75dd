package dev.culvert.daemon.tun;

import dev.culvert.config.DeviceMode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A tun or tap device of the Linux kernel, read and written on a Netty epoll event loop through the
 * Netty 4.2 {@code IoHandle} API.
 *
 * <pre>
 * Inbound (device to tunnel)
 *   1. The kernel routes a packet to the interface; epoll reports EPOLLIN on the loop.
 *   2. {@link EpollTunHandle} reads up to {@value #MAX_READS_PER_WAKEUP} packets, each into its own
 *      pooled direct buffer of mtu + {@value #LINK_HEADROOM} bytes, stopping early at EAGAIN.
 *   3. Each packet goes to {@link TunPacketSink#onPacket}; after the burst, {@link TunPacketSink#onReadComplete}
 *      (where the pipeline flushes its socket, so a burst leaves as one batch).
 *   4. If the burst bound was hit, the fd is still readable and level-triggered epoll reports it
 *      again on the loop's next turn, after the other channels on the loop have had theirs.
 * Outbound (tunnel to device)
 *   1. {@link #write}: with nothing queued, write(2) at once (a tun write is always a whole packet).
 *   2. On EAGAIN the packet is queued ({@link WriteQueue}, bounded; beyond it: dropped and counted)
 *      and EPOLLOUT is added to the interest set.
 *   3. On EPOLLOUT the queue is written in order until it is empty (EPOLLOUT removed) or EAGAIN.
 * </pre>
 *
 * <p>If the kernel reports an error on the fd (for instance someone ran {@code ip link delete} on
 * the interface) or a read fails, the device closes itself; {@link #closeFuture()} tells the owner.
 */
public final class LinuxTunDevice implements TunDevice {

    /** Packets read per EPOLLIN wake-up at most, so one busy device cannot starve its loop. */
    static final int MAX_READS_PER_WAKEUP = 64;
    /** Room beyond the MTU in each read buffer: a tap frame's 14-byte Ethernet header and a
     *  4-byte 802.1Q tag, rounded up. A read that fills the whole buffer may be truncated and is dropped. */
    static final int LINK_HEADROOM = 32;
    /** The smallest MTU IPv4 allows (RFC 791). */
    static final int MIN_MTU = 68;
    /** The largest MTU an IPv4 or IPv6 packet without jumbograms can use. */
    static final int MAX_MTU = 65535;

    private static final long REGISTER_TIMEOUT_SECONDS = 10;
    private static final long CLOSE_TIMEOUT_SECONDS = 10;
    private static final System.Logger LOG = System.getLogger(LinuxTunDevice.class.getName());

    private final String name;
    private final DeviceMode mode;
    private final int mtu;
    private final IoEventLoop loop;
    private final FileDescriptor fd;
    private final EpollTunHandle handle;
    private final Promise<Void> closeFuture;
    private volatile IoRegistration registration;
    private volatile boolean closed;

    private LinuxTunDevice(String name, DeviceMode mode, int mtu, IoEventLoop loop, ByteBufAllocator alloc,
            FileDescriptor fd, WriteQueue queue) {
        this.name = name;
        this.mode = mode;
        this.mtu = mtu;
        this.loop = loop;
        this.fd = fd;
        this.closeFuture = loop.newPromise();
        this.handle = new EpollTunHandle(this, fd, alloc, mtu + LINK_HEADROOM, queue);
    }

    /**
     * Creates (or attaches to an existing persistent) tun or tap interface named exactly {@code name}
     * and registers it on {@code loop}, which must be an epoll loop
     * ({@code new MultiThreadIoEventLoopGroup(n, EpollIoHandler.newFactory())}). Blocks until the
     * registration is done. The interface is left down and unconfigured: see {@link LinkConfigurator}.
     *
     * @param mtu   the link MTU, which sizes the read buffers ({@value #MIN_MTU}..{@value #MAX_MTU})
     * @param alloc where read buffers come from (direct buffers; pooled in production)
     * @throws TunException with an operator-readable message if the device cannot be created
     */
    public static LinuxTunDevice open(String name, DeviceMode mode, int mtu, IoEventLoop loop,
            ByteBufAllocator alloc) throws TunException {
        InterfaceNames.check(name);
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(alloc, "alloc");
        if (mtu < MIN_MTU || mtu > MAX_MTU) {
            throw new TunException("invalid MTU " + mtu + " for device '" + name + "': must be "
                    + MIN_MTU + ".." + MAX_MTU);
        }
        if (!loop.isCompatible(EpollTunHandle.class)) {
            throw new IllegalArgumentException("device '" + name + "' needs an epoll event loop "
                    + "(MultiThreadIoEventLoopGroup with EpollIoHandler.newFactory()), not " + loop);
        }
        ensureEpoll();
        TunNative.load();
        int result = TunNative.open(name, mode == DeviceMode.TAP);
        if (result < 0) {
            throw TunErrors.openFailed(name, mode, -result);
        }
        return wrap(name, mode, mtu, loop, alloc, new FileDescriptor(result),
                new WriteQueue(WriteQueue.DEFAULT_MAX_PACKETS, WriteQueue.DEFAULT_MAX_BYTES));
    }

    /**
     * Registers an already open, non-blocking, packet-preserving fd as a device. {@link #open} uses
     * it for tun fds; tests use it for datagram sockets, which behave alike and can be made to push back.
     * Closes {@code fd} if the registration fails.
     */
    static LinuxTunDevice wrap(String name, DeviceMode mode, int mtu, IoEventLoop loop, ByteBufAllocator alloc,
            FileDescriptor fd, WriteQueue queue) throws TunException {
        LinuxTunDevice device = new LinuxTunDevice(name, mode, mtu, loop, alloc, fd, queue);
        try {
            device.register();
        } catch (TunException | RuntimeException e) {
            closeQuietly(fd);
            throw e;
        }
        return device;
    }

    private static void ensureEpoll() throws TunException {
        try {
            Epoll.ensureAvailability();
        } catch (Throwable t) {
            throw new TunException("Netty's native epoll transport is not available: " + t.getMessage(), t);
        }
    }

    private void register() throws TunException {
        Future<IoRegistration> future = loop.register(handle);
        try {
            if (!future.await(REGISTER_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                future.cancel(false);
                throw new TunException("registering device '" + name + "' on its event loop timed out after "
                        + REGISTER_TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TunException("interrupted while registering device '" + name + "' on its event loop", e);
        }
        if (!future.isSuccess()) {
            throw new TunException("cannot register device '" + name + "' on its event loop: "
                    + future.cause(), future.cause());
        }
        IoRegistration reg = future.getNow();
        registration = reg;
        handle.attach(reg);
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
    public void start(TunPacketSink sink) {
        Objects.requireNonNull(sink, "sink");
        requireEventLoop("start");
        if (closed) {
            throw new IllegalStateException("device '" + name + "' is closed");
        }
        handle.start(sink);
    }

    @Override
    public void write(ByteBuf packet) {
        if (!loop.inEventLoop()) {
            packet.release();
            requireEventLoop("write");
        }
        handle.write(packet);
    }

    @Override
    public long drops() {
        return handle.drops();
    }

    /** Writes that the kernel refused (for example a malformed packet, or the link is down); dropped. */
    public long writeErrors() {
        return handle.writeErrors();
    }

    /** Reads that filled the whole buffer and so may have been truncated; dropped. */
    public long oversizedReads() {
        return handle.oversizedReads();
    }

    /** Packets waiting for the device to become writable. */
    public int queuedWrites() {
        return handle.queuedWrites();
    }

    /** Whether the device is still open. */
    public boolean isOpen() {
        return !closed;
    }

    /** Completes when the device has been closed, by {@link #close()} or because it failed. */
    public Future<Void> closeFuture() {
        return closeFuture;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (loop.inEventLoop()) {
            close0();
            return;
        }
        try {
            Future<?> done = loop.submit(this::close0);
            if (!done.awaitUninterruptibly(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "closing device ''{0}'' on its event loop timed out", name);
            }
        } catch (RejectedExecutionException e) {
            close0(); // the loop is gone, so nothing else touches the device any more
        }
    }

    /** Closes the device on the loop; also called by the loop itself when it shuts down. */
    void close0() {
        if (closed) {
            return;
        }
        closed = true;
        IoRegistration reg = registration;
        if (reg != null) {
            reg.cancel(); // leave epoll while the fd is still open
        }
        handle.releaseQueued();
        closeQuietly(fd);
        closeFuture.trySuccess(null);
    }

    /** Called by the handle when the device cannot go on; logs once and closes. */
    void fail(String reason, Throwable cause) {
        if (closed) {
            return;
        }
        LOG.log(System.Logger.Level.ERROR, "device '" + name + "' failed and is closed: " + reason, cause);
        close0();
    }

    boolean isClosed() {
        return closed;
    }

    private void requireEventLoop(String method) {
        if (!loop.inEventLoop()) {
            throw new IllegalStateException("TunDevice." + method + " must be called on the device's event loop, "
                    + "not on thread " + Thread.currentThread().getName());
        }
    }

    private static void closeQuietly(FileDescriptor fd) {
        try {
            fd.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing tun fd failed", e);
        }
    }

    @Override
    public String toString() {
        return "LinuxTunDevice[" + name + ", " + mode + ", mtu=" + mtu + (closed ? ", closed]" : "]");
    }
}
