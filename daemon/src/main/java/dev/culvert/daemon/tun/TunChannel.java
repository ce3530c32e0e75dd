package dev.culvert.daemon.tun;

import dev.culvert.config.DeviceMode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AbstractChannel;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.internal.StringUtil;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.Objects;

/**
 * A tun or tap device of the Linux kernel as a Netty {@link io.netty.channel.Channel}, registered on an
 * epoll {@link IoEventLoop} through the Netty 4.2 {@code IoHandle} API.
 *
 * <pre>
 * Inbound (device to pipeline)
 *   1. The kernel routes a packet to the interface; epoll (level-triggered) reports EPOLLIN.
 *   2. Up to MAX_MESSAGES_PER_READ packets are read, each with one read(2) into its own pooled direct
 *      buffer at offset HEADROOM, stopping early at EAGAIN. A read that fills the read window
 *      (mtu + link header + 1 bytes) may have been truncated: dropped and counted ({@link #oversizedReads()}).
 *   3. channelRead per packet (readerIndex == HEADROOM, at least TAILROOM bytes free after it), then one
 *      channelReadComplete per burst: where the pipeline flushes its transport.
 *   4. A burst cut short is reported again on the loop's next turn. With auto-read off, EPOLLIN is armed
 *      only while a read() is pending: one read() = one burst.
 * Outbound (pipeline to device)
 *   1. write() queues the packet in Netty's ChannelOutboundBuffer (heap or composite buffers are copied
 *      to one direct buffer); its water marks drive isWritable / channelWritabilityChanged.
 *   2. flush(): each packet is one write(2) of its readable bytes. The kernel refusing a packet
 *      (EINVAL, EIO while the link is down...) drops it and counts it ({@link #writeErrors()}).
 *   3. EAGAIN: EPOLLOUT is armed and the rest stays queued; on EPOLLOUT the flush resumes.
 * Failure
 *   EPOLLERR (the interface was deleted), a failed read or end of file closes the channel with one log line.
 *   Closing releases the queued packets (their promises fail) and the fd; the kernel then deletes a
 *   non-persistent interface.
 * </pre>
 *
 * <p>Threading as for every Netty channel: the pipeline runs on the loop the channel is registered on;
 * {@link #name()}, {@link #mode()}, {@link #mtu()} and the counters may be read from any thread.
 */
public final class TunChannel extends AbstractChannel {

    /** The smallest MTU IPv4 allows (RFC 791). */
    public static final int MIN_MTU = 68;
    /** The largest MTU an IPv4 or IPv6 packet without jumbograms can use. */
    public static final int MAX_MTU = 65535;
    /** Bytes a tap frame carries beyond the MTU: a 14-byte Ethernet header and one 4-byte 802.1Q tag. */
    public static final int TAP_LINK_HEADER = dev.culvert.protocol.wire.PacketRoom.LINK_HEADER;

    private static final ChannelMetadata METADATA =
            new ChannelMetadata(false, TunChannelConfig.DEFAULT_MAX_MESSAGES_PER_READ);
    /** The idle interest set: EPOLLERR rather than none, which Netty may take as "remove the fd". */
    private static final EpollIoOps IDLE = EpollIoOps.EPOLLERR;
    /** EPOLLHUP of {@code <sys/epoll.h>}, which epoll always reports and Netty has no constant for. */
    private static final int EPOLLHUP = 0x010;
    private static final System.Logger LOG = System.getLogger(TunChannel.class.getName());

    private final String name;
    private final DeviceMode mode;
    private final int mtu;
    private final FileDescriptor fd;
    private final TunChannelConfig config;

    // Loop-confined state.
    private IoRegistration registration;
    private EpollIoOps interest = IDLE;
    private boolean readPending;

    // Written only on the loop, read from anywhere (metrics): single writer, so ++ on a volatile is safe.
    private volatile long writeErrors;
    private volatile long oversizedReads;

    private TunChannel(String name, DeviceMode mode, int mtu, FileDescriptor fd) {
        super(null);
        this.name = name;
        this.mode = mode;
        this.mtu = mtu;
        this.fd = fd;
        this.config = new TunChannelConfig(this, this::clearReadInterest);
    }

    /**
     * Creates (or attaches to an existing persistent) tun or tap interface named exactly {@code name}.
     * The channel is open but not registered: register it with {@code loop.register(channel)} on an epoll
     * loop ({@code new MultiThreadIoEventLoopGroup(n, EpollIoHandler.newFactory())}). If that registration
     * fails, Netty leaves the channel unregistered: {@code channel.unsafe().closeForcibly()} releases the fd.
     * The interface is left down and unconfigured: see {@link LinkConfigurator}.
     *
     * @param mtu the link MTU in bytes ({@value #MIN_MTU}..{@value #MAX_MTU}, excluding the Ethernet
     *            header in tap mode), which sizes the read buffers
     * @throws TunException with an operator-readable message if the device cannot be created
     */
    public static TunChannel open(String name, DeviceMode mode, int mtu) throws TunException {
        InterfaceNames.check(name);
        Objects.requireNonNull(mode, "mode");
        checkMtu(name, mtu);
        try {
            Epoll.ensureAvailability();
        } catch (Throwable t) {
            throw new TunException("Netty's native epoll transport is not available: " + t.getMessage(), t);
        }
        TunNative.load();
        int result = TunNative.open(name, mode == DeviceMode.TAP);
        if (result < 0) {
            throw TunErrors.openFailed(name, mode, -result);
        }
        return new TunChannel(name, mode, mtu, new FileDescriptor(result));
    }

    /**
     * Wraps an already open, non-blocking, packet-preserving fd. {@link #open} uses it for tun fds; tests
     * use it for datagram sockets, which behave alike and can be made to push back.
     */
    static TunChannel wrap(String name, DeviceMode mode, int mtu, FileDescriptor fd) throws TunException {
        checkMtu(name, mtu);
        return new TunChannel(name, Objects.requireNonNull(mode, "mode"), mtu, Objects.requireNonNull(fd, "fd"));
    }

    private static void checkMtu(String name, int mtu) throws TunException {
        if (mtu < MIN_MTU || mtu > MAX_MTU) {
            throw new TunException("invalid MTU " + mtu + " for device '" + name + "': must be "
                    + MIN_MTU + ".." + MAX_MTU);
        }
    }

    /** The interface name, e.g. {@code cv-site-b}. */
    public String name() {
        return name;
    }

    /** Whether the device carries IP packets (tun) or Ethernet frames (tap). */
    public DeviceMode mode() {
        return mode;
    }

    /** The link MTU in bytes (excluding the Ethernet header in tap mode). */
    public int mtu() {
        return mtu;
    }

    /** Packets the kernel refused to take (malformed, or the link is down); dropped. */
    public long writeErrors() {
        return writeErrors;
    }

    /** Reads that filled the whole read window and so may have been truncated; dropped. */
    public long oversizedReads() {
        return oversizedReads;
    }

    /** Bytes a packet read can have at most: mtu, plus {@value #TAP_LINK_HEADER} in tap mode. */
    public int maxPacketLength() {
        return maxPacketLength(mode, mtu);
    }

    static int maxPacketLength(DeviceMode mode, int mtu) {
        return mtu + (mode == DeviceMode.TAP ? TAP_LINK_HEADER : 0);
    }

    /**
     * The capacity of each read buffer: headroom + max packet + tailroom, where at least one byte after
     * the max packet is always there (a read that reaches it is the truncation check).
     */
    static int readCapacity(int headroom, int maxPacket, int tailroom) {
        return headroom + maxPacket + Math.max(tailroom, 1);
    }

    @Override
    public TunChannelConfig config() {
        return config;
    }

    @Override
    public boolean isOpen() {
        return fd.isOpen();
    }

    @Override
    public boolean isActive() {
        return fd.isOpen();
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new TunUnsafe();
    }

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return loop instanceof IoEventLoop && ((IoEventLoop) loop).isCompatible(TunUnsafe.class);
    }

    @Override
    protected void doRegister(ChannelPromise promise) {
        ((IoEventLoop) eventLoop()).register((TunUnsafe) unsafe()).addListener(f -> {
            if (!f.isSuccess()) {
                promise.setFailure(f.cause());
                return;
            }
            IoRegistration reg = (IoRegistration) f.getNow();
            try {
                reg.submit(interest);
            } catch (UncheckedIOException e) {
                reg.cancel();
                promise.setFailure(e.getCause());
                return;
            }
            registration = reg;
            promise.setSuccess();
        });
    }

    @Override
    protected void doDeregister() {
        IoRegistration reg = registration;
        if (reg != null) {
            registration = null;
            reg.cancel();
        }
    }

    @Override
    protected void doBeginRead() {
        readPending = true;
        setInterest(EpollIoOps.EPOLLIN, true);
    }

    @Override
    protected void doClose() throws Exception {
        try {
            if (isRegistered() && eventLoop().inEventLoop()) {
                doDeregister(); // leave epoll while the fd is still open
            }
        } finally {
            fd.close();
        }
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) throws Exception {
        for (;;) {
            Object msg = in.current();
            if (msg == null) {
                setInterest(EpollIoOps.EPOLLOUT, false);
                return;
            }
            ByteBuf packet = (ByteBuf) msg;
            int length = packet.readableBytes();
            if (length == 0) {
                in.remove();
                continue;
            }
            int written;
            try {
                written = writeFrom(packet);
            } catch (ClosedChannelException e) {
                throw e;
            } catch (IOException e) {
                writeErrors++;
                LOG.log(System.Logger.Level.DEBUG, "device '" + name + "' refused a packet of " + length
                        + " bytes: " + e.getMessage());
                in.remove();
                continue;
            }
            if (written == 0) { // EAGAIN: the rest stays queued until EPOLLOUT
                setInterest(EpollIoOps.EPOLLOUT, true);
                return;
            }
            if (written != length) { // a tun write is all or nothing; anything else is a refused packet
                writeErrors++;
            }
            in.remove();
        }
    }

    @Override
    protected Object filterOutboundMessage(Object msg) {
        if (!(msg instanceof ByteBuf)) {
            throw new UnsupportedOperationException("unsupported message type: " + StringUtil.simpleClassName(msg)
                    + " (a tun channel writes ByteBufs, one packet each)");
        }
        ByteBuf packet = (ByteBuf) msg;
        if (packet.isDirect() && packet.nioBufferCount() == 1) {
            return packet;
        }
        ByteBuf direct = alloc().directBuffer(packet.readableBytes());
        direct.writeBytes(packet, packet.readerIndex(), packet.readableBytes());
        packet.release();
        return direct;
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
    protected void doDisconnect() throws Exception {
        doClose();
    }

    @Override
    public String toString() {
        return "TunChannel[id: 0x" + id().asShortText() + ", " + name + ", " + mode + ", mtu=" + mtu
                + (isOpen() ? "]" : ", closed]");
    }

    /** Called by the config when auto-read is switched off, on any thread. */
    private void clearReadInterest() {
        if (!isRegistered()) {
            readPending = false;
            interest = interest.without(EpollIoOps.EPOLLIN);
            return;
        }
        EventLoop loop = eventLoop();
        if (loop.inEventLoop()) {
            clearEpollIn();
        } else {
            loop.execute(() -> {
                if (!readPending && !config.isAutoRead()) {
                    clearEpollIn();
                }
            });
        }
    }

    private void clearEpollIn() {
        readPending = false;
        setInterest(EpollIoOps.EPOLLIN, false);
    }

    private void setInterest(EpollIoOps ops, boolean on) {
        EpollIoOps wanted = on ? interest.with(ops) : interest.without(ops);
        if (wanted.equals(interest)) {
            return;
        }
        interest = wanted;
        IoRegistration reg = registration;
        if (reg == null || !isOpen()) {
            return; // submitted at registration
        }
        try {
            reg.submit(wanted);
        } catch (UncheckedIOException e) {
            fail("cannot change its epoll interest set: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Logs one line and closes the channel. */
    private void fail(String reason, Throwable cause) {
        if (!isOpen()) {
            return;
        }
        LOG.log(System.Logger.Level.ERROR, "device '" + name + "' failed and is closed: " + reason
                + (cause == null ? "" : " (" + cause + ")"));
        unsafe().close(unsafe().voidPromise());
    }

    private int readInto(ByteBuf buf, int offset, int length) throws IOException {
        if (buf.hasMemoryAddress()) {
            return fd.readAddress(buf.memoryAddress(), offset, offset + length);
        }
        ByteBuffer nio = buf.internalNioBuffer(offset, length);
        return fd.read(nio, nio.position(), nio.limit());
    }

    private int writeFrom(ByteBuf packet) throws IOException {
        if (packet.hasMemoryAddress()) {
            return fd.writeAddress(packet.memoryAddress(), packet.readerIndex(), packet.writerIndex());
        }
        ByteBuffer nio = packet.internalNioBuffer(packet.readerIndex(), packet.readableBytes());
        return fd.write(nio, nio.position(), nio.limit());
    }

    /** Netty's per-channel internals, and the handle that epoll reports the fd's readiness to. */
    private final class TunUnsafe extends AbstractUnsafe implements EpollIoHandle {

        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration reg, IoEvent event) {
            EpollIoOps ready = ((EpollIoEvent) event).ops();
            if (ready.contains(EpollIoOps.EPOLLERR)) {
                fail("the kernel reports an error on the device (was the interface deleted?)", null);
                return;
            }
            if ((ready.value() & EPOLLHUP) != 0) { // never for a tun fd; a test's pipe or socket can
                fail("the device hung up", null);
                return;
            }
            if (ready.contains(EpollIoOps.EPOLLOUT)) {
                super.flush0(); // writable again: flush now, whatever flush0 would wait for
            }
            if (ready.contains(EpollIoOps.EPOLLIN) && isOpen()) {
                readBurst();
            }
        }

        @Override
        public void connect(SocketAddress remote, SocketAddress local, ChannelPromise promise) {
            if (promise.setUncancellable()) {
                promise.setFailure(new UnsupportedOperationException("a tun channel has no peer to connect to"));
            }
        }

        /** Called by the loop when it shuts down with the channel still registered. */
        @Override
        public void close() {
            close(voidPromise());
        }

        @Override
        protected void flush0() {
            // While EPOLLOUT is armed the kernel has said "not now"; the EPOLLOUT event flushes.
            if (!interest.contains(EpollIoOps.EPOLLOUT)) {
                super.flush0();
            }
        }

        private void readBurst() {
            TunChannelConfig cfg = config;
            if (!readPending && !cfg.isAutoRead()) {
                clearEpollIn(); // a late wake-up after auto-read went off
                return;
            }
            boolean granted = !cfg.isAutoRead(); // a read() asked for this burst
            int maxPackets = cfg.maxMessagesPerRead();
            int headroom = cfg.headroom();
            int maxPacket = maxPacketLength();
            int window = maxPacket + 1;
            int capacity = readCapacity(headroom, maxPacket, cfg.tailroom());
            ChannelPipeline pipeline = pipeline();
            int delivered = 0;
            try {
                for (int i = 0; i < maxPackets && isOpen(); i++) {
                    if (!granted && !cfg.isAutoRead() && !readPending) {
                        break; // auto-read switched off during the burst
                    }
                    ByteBuf buf = alloc().directBuffer(capacity);
                    int n;
                    try {
                        n = readInto(buf, headroom, window);
                    } catch (IOException e) {
                        buf.release();
                        fail("read failed: " + e.getMessage(), e);
                        return;
                    }
                    if (n == 0) { // EAGAIN: drained
                        buf.release();
                        break;
                    }
                    if (n < 0) {
                        buf.release();
                        fail("read returned end of file", null);
                        return;
                    }
                    if (n >= window) {
                        buf.release();
                        oversizedReads++;
                        continue;
                    }
                    buf.setIndex(headroom, headroom + n);
                    readPending = false;
                    delivered++;
                    pipeline.fireChannelRead(buf);
                }
            } finally {
                if (delivered > 0) {
                    pipeline.fireChannelReadComplete();
                }
                if (isOpen() && !readPending && !cfg.isAutoRead()) {
                    clearEpollIn();
                }
            }
        }
    }
}
