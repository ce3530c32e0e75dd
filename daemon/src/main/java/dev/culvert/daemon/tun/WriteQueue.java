package dev.culvert.daemon.tun;

import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;

/**
 * The packets waiting for a tun device to become writable again, bounded both in packets and in
 * bytes. Not thread-safe: it lives on the device's event loop.
 */
final class WriteQueue {

    /** Default bound in packets. */
    static final int DEFAULT_MAX_PACKETS = 1024;
    /** Default bound in bytes (1024 full-size 1500-byte packets and then some). */
    static final long DEFAULT_MAX_BYTES = 2L * 1024 * 1024;

    private final ArrayDeque<ByteBuf> packets = new ArrayDeque<>();
    private final int maxPackets;
    private final long maxBytes;
    private long bytes;

    WriteQueue(int maxPackets, long maxBytes) {
        if (maxPackets < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("write queue bounds must be positive: maxPackets="
                    + maxPackets + ", maxBytes=" + maxBytes);
        }
        this.maxPackets = maxPackets;
        this.maxBytes = maxBytes;
    }

    /** Appends {@code packet} if both bounds allow it; returns false (keeping no reference) if not. */
    boolean offer(ByteBuf packet) {
        int size = packet.readableBytes();
        if (packets.size() >= maxPackets || bytes + size > maxBytes) {
            return false;
        }
        packets.addLast(packet);
        bytes += size;
        return true;
    }

    /** The oldest packet, still queued, or null. */
    ByteBuf peek() {
        return packets.peekFirst();
    }

    /** Removes the oldest packet (the one {@link #peek()} returned); the caller now owns it. */
    ByteBuf poll() {
        ByteBuf packet = packets.pollFirst();
        if (packet != null) {
            bytes -= packet.readableBytes();
        }
        return packet;
    }

    boolean isEmpty() {
        return packets.isEmpty();
    }

    int size() {
        return packets.size();
    }

    long bytes() {
        return bytes;
    }

    /** Releases and removes every queued packet; returns how many there were. */
    int releaseAll() {
        int n = packets.size();
        ByteBuf packet;
        while ((packet = packets.pollFirst()) != null) {
            packet.release();
        }
        bytes = 0;
        return n;
    }
}
