package dev.culvert.daemon.tun;

import dev.culvert.config.DeviceMode;
import dev.culvert.protocol.offload.DeviceOffloads;
import io.netty.channel.Channel;

/**
 * What a device channel tells the tunnel built on it: {@link TunChannel}, and the test twin
 * {@code MemoryTunChannel}.
 */
public interface TunDevice {

    /** The interface name, e.g. {@code cv-site-b}. */
    String name();

    /** Whether the device carries IP packets (tun) or Ethernet frames (tap). */
    DeviceMode mode();

    /** The link MTU in bytes (excluding the Ethernet header in tap mode). */
    int mtu();

    /**
     * What the device was opened with: {@link DeviceOffloads#NONE} for plain packets; with
     * {@link DeviceOffloads#vnetHeader()} every packet read and written starts with a 10-byte
     * {@code struct virtio_net_hdr} ({@link dev.culvert.protocol.offload.VirtioNetHdr}).
     */
    DeviceOffloads offloads();

    /** The offloads of {@code channel} if it is a {@link TunDevice}, else {@link DeviceOffloads#NONE}. */
    static DeviceOffloads offloadsOf(Channel channel) {
        return channel instanceof TunDevice ? ((TunDevice) channel).offloads() : DeviceOffloads.NONE;
    }
}
