package dev.culvert.daemon.tun;

import io.netty.buffer.ByteBuf;

/**
 * Receives the packets a {@link TunDevice} reads, on the device's event loop.
 *
 * <p>Packets arrive in bursts: {@link #onPacket} once per packet, then {@link #onReadComplete} once
 * per burst, which is where a pipeline flushes its socket so that a burst leaves as one batch.
 */
@FunctionalInterface
public interface TunPacketSink {

    /**
     * Handles one packet: an IP packet for a tun device, an Ethernet frame for a tap device.
     * The sink owns {@code packet} and must release it.
     */
    void onPacket(ByteBuf packet);

    /** Called after each burst of {@link #onPacket} calls. */
    default void onReadComplete() {
    }
}
