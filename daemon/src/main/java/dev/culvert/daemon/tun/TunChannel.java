package dev.culvert.daemon.tun;

import dev.culvert.config.DeviceMode;
import dev.culvert.protocol.offload.DeviceOffloads;
import dev.culvert.protocol.offload.VirtioNetHdr;
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
import io.netty.channel.unix.IovArray;
import io.netty.channel.unix.Limits;
import io.netty.util.internal.PlatformDependent;
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
 *   2. Up to MAX_MESSAGES_PER_READ packets are read, each with one read(2) at offset HEADROOM of a pooled
 *      direct buffer, stopping early at EAGAIN. The read window is {@link #maxPacketLength()} + 1 bytes:
 *      65535 (+ 18 on tap) for plain packets, whatever the MTU (issue 13: it may be raised under us);
 *      with the virtio-net header (open with offload), 10 + 65535 (+ 18 on tap), a header and a TSO/USO
 *      super-packet. A read that fills the window may have been
 *      truncated: dropped and counted ({@link #oversizedReads()}).
 *      Buffers: while HEADROOM + window + TAILROOM fits in {@value #COPY_LIMIT} bytes (plain packets at any
 *      usual MTU), each read goes straight into its own buffer of that size. Above it (offloads on, or a
 *      huge MTU) a 64 KB buffer per read would cost 45x the memory of a 1420-byte packet while it waits in
 *      queues, and time: Netty's pool does not thread-cache buffers over 32 KB, so one costs 0.2-0.3 us
 *      alone and ~1.4 us when a burst of 64 is outstanding (JDK 17, measured), against ~0.1 us for a
 *      cached 1.5 KB one. So reads go into one channel-owned scratch buffer, and a packet whose buffer would
 *      fit in {@value #COPY_LIMIT} bytes is copied into a buffer of exactly HEADROOM + packet + TAILROOM
 *      (~0.1 us at 1.5 KB, ~0.6 us at 16 KB with the copy), while a bigger one (a super-packet) takes the
 *      scratch buffer itself, and a new one is allocated for the next read.
 *   3. channelRead per packet (readerIndex == HEADROOM, where the virtio_net_hdr sits when the device has one;
 *      at least TAILROOM bytes free after it), then one channelReadComplete per burst: where the pipeline
 *      flushes its transport.
 *   4. A burst cut short is reported again on the loop's next turn. With auto-read off, EPOLLIN is armed
 *      only while a read() is pending: one read() = one burst.
 * Outbound (pipeline to device)
 *   1. write() queues the packet (with the virtio-net header: header and packet) in Netty's
 *      ChannelOutboundBuffer; a buffer with heap memory is copied to one direct buffer, a composite of direct
 *      buffers (e.g. a header before a coalesced super-packet) is kept as it is. The water marks drive
 *      isWritable / channelWritabilityChanged.
 *   2. flush(): each packet is one write(2) of its readable bytes, or one writev(2) of a direct composite's
 *      parts (the tun driver takes one writev as one packet). The kernel refusing a packet
 *      (EINVAL, EIO while the link is down...) drops it and counts it ({@link #writeErrors()}).
 *   3. EAGAIN: EPOLLOUT is armed and the rest stays queued; on EPOLLOUT the flush resumes.
 * Failure
 *   EPOLLERR (the interface was deleted), a failed read or end of file closes the channel with one log line.
 *   Closing releases the queued packets (their promises fail) and the fd; the kernel then deletes a
 *   non-persistent interface.
 * </pre>
 *
 * <p>Offloads ({@link #open(String, DeviceMode, int, boolean)}): the device is opened with {@code IFF_VNET_HDR},
 * the header size set to 10 ({@code TUNSETVNETHDRSZ}) and {@code TUNSETOFFLOAD} tried with
 * CSUM|TSO4|TSO6|USO4|USO6, then CSUM|TSO4|TSO6, then CSUM; what the kernel accepts is {@link #offloads()}.
 * If it accepts none, the device is reopened plain ({@link DeviceOffloads#NONE}).
 *
 * <p>Multi-queue ({@link #openMultiQueue}, {@link #openQueue()}): {@code IFF_MULTI_QUEUE}, each queue its own
 * fd and channel; the kernel spreads the packets it routes to the device over the queues by flow.
 *
 * <p>Threading as for every Netty channel: the pipeline runs on the loop the channel is registered on;
 * {@link #name()}, {@link #mode()}, {@link #mtu()}, {@link #offloads()} and the counters may be read from any
 * thread.
 */
public final class TunChannel extends AbstractChannel implements TunDevice {

    /** The smallest MTU IPv4 allows (RFC 791). */
    public static final int MIN_MTU = 68;
    /** The largest MTU an IPv4 or IPv6 packet without jumbograms can use. */
    public static final int MAX_MTU = 65535;
    /** Bytes a tap frame carries beyond the MTU: a 14-byte Ethernet header and one 4-byte 802.1Q tag. */
    public static final int TAP_LINK_HEADER = dev.culvert.protocol.wire.PacketRoom.LINK_HEADER;
    /** The largest packet a device with offloads hands over: an IP packet of 65535 bytes (a TSO/USO super-packet). */
    public static final int MAX_SUPER_PACKET = 65535;
    /**
     * Read buffers up to this many bytes are allocated per read; bigger ones are not (see the class comment).
     * Netty's pooled allocator caches buffers up to 32 KB per thread ({@code maxCachedBufferCapacity}).
     */
    static final int COPY_LIMIT = 32 * 1024;
    /** TUNSETOFFLOAD sets in the order they are tried: the first the kernel accepts wins. */
    private static final int[] OFFLOAD_PROBES = {
        TunNative.TUN_F_CSUM | TunNative.TUN_F_TSO4 | TunNative.TUN_F_TSO6 | TunNative.TUN_F_USO4
                | TunNative.TUN_F_USO6,
        TunNative.TUN_F_CSUM | TunNative.TUN_F_TSO4 | TunNative.TUN_F_TSO6,
        TunNative.TUN_F_CSUM,
    };

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
    private final DeviceOffloads offloads;
    private final boolean multiQueue;
    private final TunChannelConfig config;

    // Loop-confined state.
    private IoRegistration registration;
    private EpollIoOps interest = IDLE;
    private boolean readPending;
    /** Where reads land when read buffers are bigger than COPY_LIMIT; null until needed. */
    private ByteBuf scratch;
    /** The iovecs of a composite packet written with writev; null until needed. */
    private IovArray iov;

    // Written only on the loop, read from anywhere (metrics): single writer, so ++ on a volatile is safe.
    private volatile long writeErrors;
    private volatile long oversizedReads;

    private TunChannel(String name, DeviceMode mode, int mtu, FileDescriptor fd, DeviceOffloads offloads,
                       boolean multiQueue) {
        super(null);
        this.name = name;
        this.mode = mode;
        this.mtu = mtu;
        this.fd = fd;
        this.offloads = offloads;
        this.multiQueue = multiQueue;
        this.config = new TunChannelConfig(this, this::clearReadInterest);
    }

    /**
     * Creates a tun or tap interface named exactly {@code name}, for plain packets: same as
     * {@code open(name, mode, mtu, false)}.
     *
     * @throws TunException with an operator-readable message if the device cannot be created, or if an
     *                      interface of that name exists already
     */
    public static TunChannel open(String name, DeviceMode mode, int mtu) throws TunException {
        return open(name, mode, mtu, false);
    }

    /**
     * Creates a tun or tap interface named exactly {@code name}. An interface of that name that exists already
     * (a persistent tun made with {@code ip tuntap add}, another program's, another Culvert's) is refused, not
     * attached to ({@code IFF_TUN_EXCL}, {@code <linux/if_tun.h>}): see {@link #adopt} for that. Closing the
     * channel deletes the interface, and with it its addresses and routes.
     * The channel is open but not registered: register it with {@code loop.register(channel)} on an epoll
     * loop ({@code new MultiThreadIoEventLoopGroup(n, EpollIoHandler.newFactory())}). If that registration
     * fails, Netty leaves the channel unregistered: {@code channel.unsafe().closeForcibly()} releases the fd.
     * The interface is left down and unconfigured: see {@link LinkConfigurator}.
     *
     * @param mtu     the link MTU in bytes ({@value #MIN_MTU}..{@value #MAX_MTU}, excluding the Ethernet
     *                header in tap mode), which sizes the read buffers of plain packets
     * @param offload true: open with the virtio-net header and the offloads the kernel accepts (see the class
     *                comment; {@link #offloads()} says what is on, possibly {@link DeviceOffloads#NONE});
     *                false: plain packets
     * @throws TunException with an operator-readable message if the device cannot be created, or if an
     *                      interface of that name exists already
     */
    public static TunChannel open(String name, DeviceMode mode, int mtu, boolean offload) throws TunException {
        return open(name, mode, mtu, offload, false, false);
    }

    /**
     * Attaches to an existing persistent tun or tap interface named exactly {@code name} (made with
     * {@code ip tuntap add}, say; Culvert's {@code device.existing = true}), as
     * {@link #open(String, DeviceMode, int, boolean)} otherwise does. Closing the channel leaves the interface
     * in place, with whatever addresses and routes it has: removing what was added to it is the caller's.
     *
     * <p>Whether the interface was there before is read from the kernel after attaching ({@code TUNGETIFF}:
     * only a persistent device outlives its last file descriptor): if the attach created it, it is closed
     * again, which deletes it, and refused.
     *
     * @throws TunException with an operator-readable message if there is no such interface, if it is of
     *                      another kind, or if another process has it open
     */
    public static TunChannel adopt(String name, DeviceMode mode, int mtu, boolean offload) throws TunException {
        return open(name, mode, mtu, offload, false, true);
    }

    /**
     * Like {@link #open(String, DeviceMode, int, boolean)} with {@code IFF_MULTI_QUEUE}: this channel is the
     * device's first queue; {@link #openQueue()} attaches more. The device is deleted when its last queue
     * closes (unless persistent).
     *
     * <p>The first queue is opened with {@code IFF_TUN_EXCL}: a name that exists already, even another
     * multi-queue user's (whom the kernel would otherwise let anyone join), is refused.
     *
     * @throws TunException with an operator-readable message if the device cannot be created, or if an
     *                      interface of that name exists already
     */
    public static TunChannel openMultiQueue(String name, DeviceMode mode, int mtu, boolean offload)
            throws TunException {
        return open(name, mode, mtu, offload, true, false);
    }

    private static TunChannel open(String name, DeviceMode mode, int mtu, boolean offload, boolean multiQueue,
                                   boolean adopt) throws TunException {
        InterfaceNames.check(name);
        Objects.requireNonNull(mode, "mode");
        checkMtu(name, mtu);
        try {
            Epoll.ensureAvailability();
        } catch (Throwable t) {
            throw new TunException("Netty's native epoll transport is not available: " + t.getMessage(), t);
        }
        TunNative.load();
        int openFlags = (multiQueue ? TunNative.IFF_MULTI_QUEUE : 0) | (adopt ? 0 : TunNative.IFF_TUN_EXCL);
        if (offload) {
            FileDescriptor fd = attach(name, mode, TunNative.IFF_VNET_HDR | openFlags, adopt);
            DeviceOffloads accepted = negotiate(name, fd.intValue());
            if (accepted != null) {
                return new TunChannel(name, mode, mtu, fd, accepted, multiQueue);
            }
            closeQuietly(fd); // deletes a device we created (an adopted one stays); it comes back plain below
        }
        return new TunChannel(name, mode, mtu, attach(name, mode, openFlags, adopt), DeviceOffloads.NONE,
                multiQueue);
    }

    /**
     * Attaches one more queue to this multi-queue device: a new channel (not registered, headroom and tailroom
     * copied from this one) with the same name, mode, MTU and offloads, reading its own share of the packets.
     *
     * @throws IllegalStateException if this channel was not opened with {@link #openMultiQueue}
     * @throws TunException          with an operator-readable message if the queue cannot be attached
     */
    public TunChannel openQueue() throws TunException {
        if (!multiQueue) {
            throw new IllegalStateException("device '" + name + "' was not opened multi-queue (openMultiQueue)");
        }
        FileDescriptor queue = attach(name, mode,
                TunNative.IFF_MULTI_QUEUE | (offloads.vnetHeader() ? TunNative.IFF_VNET_HDR : 0), false);
        if (offloads.vnetHeader()) {
            int result = TunNative.setVnetHdrSize(queue.intValue(), VirtioNetHdr.LENGTH);
            if (result >= 0) {
                result = TunNative.setOffload(queue.intValue(), offloadBits(offloads));
            }
            if (result < 0) {
                closeQuietly(queue);
                throw new TunException("cannot set the offloads of a new queue of device '" + name + "': errno "
                        + -result);
            }
        }
        TunChannel channel = new TunChannel(name, mode, mtu, queue, offloads, true);
        channel.config.setHeadroom(config.headroom()).setTailroom(config.tailroom());
        return channel;
    }

    /**
     * {@code TUNSETIFF} with {@code flags}: the fd, or the error for an operator. {@code adopt}: the device must
     * have existed before (persistent), else the fd is closed again (deleting what the attach created).
     */
    private static FileDescriptor attach(String name, DeviceMode mode, int flags, boolean adopt)
            throws TunException {
        int result = TunNative.open(name, mode == DeviceMode.TAP, flags);
        if (result < 0) {
            throw adopt ? TunErrors.adoptFailed(name, mode, -result) : TunErrors.openFailed(name, mode, -result);
        }
        FileDescriptor fd = new FileDescriptor(result);
        if (adopt) {
            int deviceFlags = TunNative.getFlags(result);
            if (deviceFlags < 0 || (deviceFlags & TunNative.IFF_PERSIST) == 0) {
                closeQuietly(fd); // not persistent: this attach created it, and closing deletes it
                if (deviceFlags < 0) {
                    throw new TunException("cannot adopt device '" + name + "': TUNGETIFF failed, errno "
                            + -deviceFlags);
                }
                throw TunErrors.nothingToAdopt(name, mode);
            }
        }
        return fd;
    }

    /**
     * Sets the header size and tries the offload sets in order; null if the kernel takes none (the fd is then
     * still open, with the header on).
     */
    private static DeviceOffloads negotiate(String name, int fd) {
        int result = TunNative.setVnetHdrSize(fd, VirtioNetHdr.LENGTH);
        if (result < 0) {
            LOG.log(System.Logger.Level.DEBUG, "device '" + name + "': TUNSETVNETHDRSZ refused, errno " + -result);
            return null;
        }
        for (int probe : OFFLOAD_PROBES) {
            result = TunNative.setOffload(fd, probe);
            if (result == 0) {
                return new DeviceOffloads(true, (probe & TunNative.TUN_F_CSUM) != 0,
                        (probe & TunNative.TUN_F_TSO4) != 0, (probe & TunNative.TUN_F_TSO6) != 0,
                        (probe & TunNative.TUN_F_USO4) != 0, (probe & TunNative.TUN_F_USO6) != 0);
            }
            LOG.log(System.Logger.Level.DEBUG, "device '" + name + "': TUNSETOFFLOAD 0x"
                    + Integer.toHexString(probe) + " refused, errno " + -result);
        }
        return null;
    }

    /** The {@code TUN_F_*} bits of {@code offloads}. */
    static int offloadBits(DeviceOffloads offloads) {
        return (offloads.csum() ? TunNative.TUN_F_CSUM : 0) | (offloads.tso4() ? TunNative.TUN_F_TSO4 : 0)
                | (offloads.tso6() ? TunNative.TUN_F_TSO6 : 0) | (offloads.uso4() ? TunNative.TUN_F_USO4 : 0)
                | (offloads.uso6() ? TunNative.TUN_F_USO6 : 0);
    }

    private static void closeQuietly(FileDescriptor fd) {
        try {
            fd.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing a tun fd failed: " + e.getMessage());
        }
    }

    /**
     * Wraps an already open, non-blocking, packet-preserving fd. {@link #open} uses it for tun fds; tests
     * use it for datagram sockets, which behave alike and can be made to push back.
     */
    static TunChannel wrap(String name, DeviceMode mode, int mtu, FileDescriptor fd) throws TunException {
        return wrap(name, mode, mtu, fd, DeviceOffloads.NONE);
    }

    /** Like {@link #wrap(String, DeviceMode, int, FileDescriptor)}, reading as a device with {@code offloads}. */
    static TunChannel wrap(String name, DeviceMode mode, int mtu, FileDescriptor fd, DeviceOffloads offloads)
            throws TunException {
        checkMtu(name, mtu);
        return new TunChannel(name, Objects.requireNonNull(mode, "mode"), mtu, Objects.requireNonNull(fd, "fd"),
                Objects.requireNonNull(offloads, "offloads"), false);
    }

    private static void checkMtu(String name, int mtu) throws TunException {
        if (mtu < MIN_MTU || mtu > MAX_MTU) {
            throw new TunException("invalid MTU " + mtu + " for device '" + name + "': must be "
                    + MIN_MTU + ".." + MAX_MTU);
        }
    }

    /** The interface name, e.g. {@code cv-site-b}. */
    @Override
    public String name() {
        return name;
    }

    /** Whether the device carries IP packets (tun) or Ethernet frames (tap). */
    @Override
    public DeviceMode mode() {
        return mode;
    }

    /** The link MTU in bytes (excluding the Ethernet header in tap mode). */
    @Override
    public int mtu() {
        return mtu;
    }

    /**
     * What the kernel accepted at open: {@link DeviceOffloads#NONE} for plain packets, else the virtio-net
     * header and the offloads that are on.
     */
    @Override
    public DeviceOffloads offloads() {
        return offloads;
    }

    /** True if the device was opened with {@code IFF_MULTI_QUEUE} (see {@link #openQueue()}). */
    public boolean multiQueue() {
        return multiQueue;
    }

    /** Packets the kernel refused to take (malformed, or the link is down); dropped. */
    public long writeErrors() {
        return writeErrors;
    }

    /** Reads that filled the whole read window and so may have been truncated; dropped. */
    public long oversizedReads() {
        return oversizedReads;
    }

    /**
     * Bytes one read can deliver at most, whatever the MTU: {@value #MAX_MTU} (an IP packet's largest
     * length; the MTU may be raised under us by {@code ip link} or a reload, issue 13), plus
     * {@value #TAP_LINK_HEADER} in tap mode; with the virtio-net header, 10 + {@value #MAX_SUPER_PACKET}
     * (+ {@value #TAP_LINK_HEADER} in tap mode). A packet above the MTU is read whole and refused as
     * {@code too_big} by the routing handler.
     */
    public int maxPacketLength() {
        return maxPacketLength(mode, mtu, offloads.vnetHeader());
    }

    static int maxPacketLength(DeviceMode mode, int mtu) {
        return maxPacketLength(mode, mtu, false);
    }

    static int maxPacketLength(DeviceMode mode, int mtu, boolean vnetHeader) {
        int link = mode == DeviceMode.TAP ? TAP_LINK_HEADER : 0;
        return vnetHeader ? VirtioNetHdr.LENGTH + MAX_SUPER_PACKET + link : MAX_MTU + link;
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
        releaseLoopBuffers(); // on the loop: no read or write is under way
    }

    /** Releases the scratch buffer and the iovec array (loop-confined, or the channel is not registered). */
    private void releaseLoopBuffers() {
        ByteBuf s = scratch;
        if (s != null) {
            scratch = null;
            s.release();
        }
        IovArray v = iov;
        if (v != null) {
            iov = null;
            v.release();
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
            } else if (!isRegistered()) {
                releaseLoopBuffers();
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
        int parts = packet.nioBufferCount();
        if (packet.isDirect() && (parts == 1 || parts > 1 && parts <= Limits.IOV_MAX && PlatformDependent.hasUnsafe())) {
            return packet; // one part for write(2), or direct parts whose addresses go to writev(2)
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
                + (offloads.vnetHeader() ? ", offloads=" + offloads.describe() : "")
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
        if (packet.nioBufferCount() > 1) {
            return writeGathering(packet);
        }
        if (packet.hasMemoryAddress()) {
            return fd.writeAddress(packet.memoryAddress(), packet.readerIndex(), packet.writerIndex());
        }
        ByteBuffer nio = packet.internalNioBuffer(packet.readerIndex(), packet.readableBytes());
        return fd.write(nio, nio.position(), nio.limit());
    }

    /** One writev(2) of the parts of a direct composite: one packet to the tun driver. */
    private int writeGathering(ByteBuf packet) throws IOException {
        IovArray v = iov;
        if (v == null) {
            v = new IovArray();
            iov = v;
        }
        v.clear();
        if (!v.add(packet, packet.readerIndex(), packet.readableBytes())) {
            throw new IOException("a packet of " + packet.nioBufferCount() + " parts is more than writev takes");
        }
        return (int) fd.writevAddresses(v.memoryAddress(0), v.count());
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
            int tailroom = cfg.tailroom();
            int capacity = readCapacity(headroom, maxPacket, tailroom);
            boolean viaScratch = capacity > COPY_LIMIT;
            ChannelPipeline pipeline = pipeline();
            int delivered = 0;
            try {
                for (int i = 0; i < maxPackets && isOpen(); i++) {
                    if (!granted && !cfg.isAutoRead() && !readPending) {
                        break; // auto-read switched off during the burst
                    }
                    ByteBuf buf = viaScratch ? scratch(capacity) : alloc().directBuffer(capacity);
                    int n;
                    try {
                        n = readInto(buf, headroom, window);
                    } catch (IOException e) {
                        releaseUnlessScratch(buf);
                        fail("read failed: " + e.getMessage(), e);
                        return;
                    }
                    if (n == 0) { // EAGAIN: drained
                        releaseUnlessScratch(buf);
                        break;
                    }
                    if (n < 0) {
                        releaseUnlessScratch(buf);
                        fail("read returned end of file", null);
                        return;
                    }
                    if (n >= window) {
                        releaseUnlessScratch(buf);
                        oversizedReads++;
                        continue;
                    }
                    if (viaScratch) {
                        buf = takeFromScratch(headroom, n, tailroom);
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

        /** The scratch buffer, (re)allocated if missing or smaller than {@code capacity}. */
        private ByteBuf scratch(int capacity) {
            ByteBuf s = scratch;
            if (s == null || s.capacity() < capacity) {
                if (s != null) {
                    s.release(); // headroom or tailroom grew
                }
                s = alloc().directBuffer(capacity);
                scratch = s;
            }
            return s;
        }

        private void releaseUnlessScratch(ByteBuf buf) {
            if (buf != scratch) {
                buf.release();
            }
        }

        /**
         * The packet of {@code n} bytes at {@code headroom} of the scratch buffer in a buffer of its own: a copy
         * of exactly headroom + n + tailroom bytes if that fits in COPY_LIMIT, else the scratch buffer itself.
         */
        private ByteBuf takeFromScratch(int headroom, int n, int tailroom) {
            ByteBuf s = scratch;
            int exact = headroom + n + tailroom;
            if (exact <= COPY_LIMIT) {
                ByteBuf copy = alloc().directBuffer(exact);
                copy.setBytes(headroom, s, headroom, n);
                return copy;
            }
            scratch = null;
            return s;
        }
    }
}
