package dev.culvert.daemon.tun;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * The epoll side of a {@link LinuxTunDevice}: reacts to EPOLLIN / EPOLLOUT / EPOLLERR on the tun fd.
 * Everything here runs on the device's event loop (see {@link LinuxTunDevice} for the packet flow).
 *
 * <p>Epoll is level-triggered here (no EPOLLET), so a read burst cut short by
 * {@link LinuxTunDevice#MAX_READS_PER_WAKEUP} is reported again on the loop's next turn.
 * The idle interest set is EPOLLERR rather than none, because Netty removes the fd from epoll
 * when given none.
 */
final class EpollTunHandle implements EpollIoHandle {

    private static final EpollIoOps IDLE = EpollIoOps.EPOLLERR;
    private static final System.Logger LOG = System.getLogger(EpollTunHandle.class.getName());

    private final LinuxTunDevice device;
    private final FileDescriptor fd;
    private final ByteBufAllocator alloc;
    private final int readCapacity;
    private final WriteQueue queue;

    private IoRegistration registration;
    private EpollIoOps interest;
    private TunPacketSink sink;

    // Written only on the loop, read from anywhere (metrics): single writer, so ++ on a volatile is safe.
    private volatile long drops;
    private volatile long writeErrors;
    private volatile long oversizedReads;
    private volatile int queuedWrites;

    EpollTunHandle(LinuxTunDevice device, FileDescriptor fd, ByteBufAllocator alloc, int readCapacity,
            WriteQueue queue) {
        this.device = device;
        this.fd = fd;
        this.alloc = alloc;
        this.readCapacity = readCapacity;
        this.queue = queue;
    }

    /** Adds the fd to epoll with the idle interest set. Thread-safe (Netty's submit is). */
    void attach(IoRegistration reg) {
        this.registration = reg;
        this.interest = IDLE;
        reg.submit(IDLE);
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    @Override
    public void handle(IoRegistration reg, IoEvent event) {
        EpollIoOps ready = ((EpollIoEvent) event).ops();
        if (ready.contains(EpollIoOps.EPOLLERR)) {
            device.fail("the kernel reports an error on the device (was the interface deleted?)", null);
            return;
        }
        if (ready.contains(EpollIoOps.EPOLLOUT)) {
            flushQueue();
        }
        if (ready.contains(EpollIoOps.EPOLLIN) && sink != null) {
            readBurst();
        }
    }

    /** Called by the loop when it shuts down with the device still registered. */
    @Override
    public void close() {
        device.close0();
    }

    void start(TunPacketSink newSink) {
        if (sink != null) {
            throw new IllegalStateException("device '" + device.name() + "' is already started");
        }
        sink = newSink;
        updateInterest();
    }

    void write(ByteBuf packet) {
        if (device.isClosed()) {
            packet.release();
            drops++;
            return;
        }
        ByteBuf direct = toDirect(packet);
        if (queue.isEmpty() && writeNow(direct)) {
            return;
        }
        if (!queue.offer(direct)) {
            direct.release();
            drops++;
            return;
        }
        queuedWrites = queue.size();
        updateInterest();
    }

    long drops() {
        return drops;
    }

    long writeErrors() {
        return writeErrors;
    }

    long oversizedReads() {
        return oversizedReads;
    }

    int queuedWrites() {
        return queuedWrites;
    }

    /** Releases whatever is still queued; the packets count as dropped. */
    void releaseQueued() {
        drops += queue.releaseAll();
        queuedWrites = 0;
    }

    private void readBurst() {
        TunPacketSink target = sink;
        int delivered = 0;
        try {
            for (int i = 0; i < LinuxTunDevice.MAX_READS_PER_WAKEUP && !device.isClosed(); i++) {
                ByteBuf buf = alloc.directBuffer(readCapacity, readCapacity);
                int n;
                try {
                    n = readInto(buf);
                } catch (IOException e) {
                    buf.release();
                    device.fail("read failed: " + e.getMessage(), e);
                    return;
                }
                if (n == 0) { // EAGAIN: drained
                    buf.release();
                    return;
                }
                if (n < 0) {
                    buf.release();
                    device.fail("read returned end of file", null);
                    return;
                }
                if (n >= readCapacity) {
                    buf.release();
                    oversizedReads++;
                    continue;
                }
                buf.writerIndex(n);
                delivered++;
                deliver(target, buf);
            }
        } finally {
            if (delivered > 0) {
                complete(target);
            }
        }
    }

    private void deliver(TunPacketSink target, ByteBuf packet) {
        try {
            target.onPacket(packet);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "packet sink of device '" + device.name() + "' threw", e);
        }
    }

    private void complete(TunPacketSink target) {
        try {
            target.onReadComplete();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "packet sink of device '" + device.name() + "' threw", e);
        }
    }

    private void flushQueue() {
        ByteBuf head;
        while ((head = queue.peek()) != null) {
            if (!writeNow(head)) {
                break; // EAGAIN: EPOLLOUT stays armed
            }
            queue.poll();
        }
        queuedWrites = queue.size();
        updateInterest();
    }

    /**
     * Writes one packet. Returns false on EAGAIN (the caller still owns the packet); otherwise the
     * packet was written or refused by the kernel, and is released.
     */
    private boolean writeNow(ByteBuf packet) {
        int length = packet.readableBytes();
        try {
            int written = writeFrom(packet);
            if (written == 0 && length > 0) {
                return false;
            }
            if (written != length) {
                writeErrors++;
            }
        } catch (IOException e) {
            writeErrors++;
            LOG.log(System.Logger.Level.DEBUG, "write to device '" + device.name() + "' failed", e);
        }
        packet.release();
        return true;
    }

    private void updateInterest() {
        if (device.isClosed() || registration == null) {
            return;
        }
        EpollIoOps wanted = IDLE;
        if (sink != null) {
            wanted = wanted.with(EpollIoOps.EPOLLIN);
        }
        if (!queue.isEmpty()) {
            wanted = wanted.with(EpollIoOps.EPOLLOUT);
        }
        if (wanted.equals(interest)) {
            return;
        }
        try {
            registration.submit(wanted);
            interest = wanted;
        } catch (UncheckedIOException e) {
            device.fail("cannot change its epoll interest set: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Native reads and writes need a direct buffer; copy anything else (rare: the pipeline allocates direct). */
    private ByteBuf toDirect(ByteBuf packet) {
        if (packet.isDirect() && packet.nioBufferCount() == 1) {
            return packet;
        }
        ByteBuf copy = alloc.directBuffer(packet.readableBytes());
        try {
            copy.writeBytes(packet, packet.readerIndex(), packet.readableBytes());
        } finally {
            packet.release();
        }
        return copy;
    }

    private int readInto(ByteBuf buf) throws IOException {
        if (buf.hasMemoryAddress()) {
            return fd.readAddress(buf.memoryAddress(), 0, readCapacity);
        }
        ByteBuffer nio = buf.internalNioBuffer(0, readCapacity);
        return fd.read(nio, nio.position(), nio.limit());
    }

    private int writeFrom(ByteBuf packet) throws IOException {
        if (packet.hasMemoryAddress()) {
            return fd.writeAddress(packet.memoryAddress(), packet.readerIndex(), packet.writerIndex());
        }
        ByteBuffer nio = packet.internalNioBuffer(packet.readerIndex(), packet.readableBytes());
        return fd.write(nio, nio.position(), nio.limit());
    }
}
