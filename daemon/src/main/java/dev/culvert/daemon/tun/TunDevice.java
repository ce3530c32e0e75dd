package dev.culvert.daemon.tun;

import dev.culvert.config.DeviceMode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;

/**
 * A layer-3 (tun) or layer-2 (tap) device: the operating-system side of a tunnel.
 *
 * <p>All methods except {@link #name()}, {@link #mode()}, {@link #mtu()} and {@link #drops()} must be
 * called on {@link #eventLoop()}; {@link #close()} may also be called from any thread.
 * Implementations: {@link LinuxTunDevice} (the kernel's tun driver) and, for tests, the in-memory
 * {@code MemoryTunDevice} of the test-jar.
 */
public interface TunDevice extends AutoCloseable {

    /** The interface name, e.g. {@code cv-site-b}. */
    String name();

    /** Whether the device carries IP packets (tun) or Ethernet frames (tap). */
    DeviceMode mode();

    /** The link MTU in bytes (excluding the Ethernet header in tap mode). */
    int mtu();

    /** The event loop that reads and writes this device. */
    EventLoop eventLoop();

    /**
     * Starts reading. Each packet read is handed to {@code sink.onPacket} (the sink owns and must
     * release the buffer); after each read burst (at most a bounded number of packets per wake-up, so
     * that other channels on the loop get their turn) {@code sink.onReadComplete()} is called.
     *
     * @throws IllegalStateException if already started or closed
     */
    void start(TunPacketSink sink);

    /**
     * Writes one packet; ownership passes to the device, which releases it. If the device is not
     * writable the packet is queued; the queue is bounded and packets beyond it are dropped and
     * counted in {@link #drops()}.
     */
    void write(ByteBuf packet);

    /** Packets dropped by {@link #write} because of back-pressure (or because the device was closed). */
    long drops();

    /**
     * Stops reading, releases queued buffers and closes the device; the kernel then deletes a
     * non-persistent interface. Idempotent.
     */
    @Override
    void close();
}
