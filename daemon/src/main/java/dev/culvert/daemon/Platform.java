package dev.culvert.daemon;

import dev.culvert.config.DeviceConfig;
import dev.culvert.daemon.tun.LinkConfigurator;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.transport.Transport;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandlerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * What the daemon takes from the host: event loops, devices, link configuration and transports
 * (wireguard-go's {@code tun.Device} and {@code conn.Bind}, passed to {@code NewDevice}). {@link
 * LinuxPlatform} is the real one; tests hand {@link Daemon} in-memory twins of all of it and run the
 * whole daemon logic without root.
 */
public interface Platform {

    /**
     * The read pause a transport comes with from {@link #udp} and {@link #tcp}: held until the daemon has
     * registered its tunnels, so a handshake initiation already waiting on the socket is read by an engine
     * that knows its peer, not dropped as from an unknown one (which would cost the initiator a
     * REKEY_TIMEOUT retry, 5 s; issue 13). {@link Daemon} takes the pause itself too, and resumes it.
     */
    Object STARTING = new Object() {
        @Override
        public String toString() {
            return "starting: tunnels not registered yet";
        }
    };

    /** What the event loops handle I/O with (epoll on Linux). */
    IoHandlerFactory ioHandlerFactory();

    /**
     * Opens the tunnel's device as a channel, not yet registered, its reads leaving
     * {@link dev.culvert.protocol.wire.PacketRoom} around each packet. With {@link DeviceConfig#offload()} the
     * device may come up with the virtio-net header and offloads: the channel is then a
     * {@link dev.culvert.daemon.tun.TunDevice} and {@code TunDevice.offloadsOf(channel)} says what is on.
     * The device is created, and one that exists already is refused; with {@link DeviceConfig#existing()} an
     * existing persistent device is adopted instead, and one that does not exist is refused.
     *
     * @throws IOException with an operator-readable message naming the device
     */
    Channel openDevice(DeviceConfig device) throws IOException;

    /** Sets addresses, MTU, routes and the link state of a device. */
    LinkConfigurator links();

    /**
     * The UDP transport, bound to {@code listen}, its reads paused under {@link #STARTING} from before the bind;
     * it receives datagrams of any size the protocol allows.
     *
     * @param offload     use UDP GSO and GRO where the kernel allows ({@code culvert.udp-offload})
     */
    Transport udp(IoEventLoop loop, InetSocketAddress listen, LocalStatic identity,
                  ByteBufAllocator alloc, boolean offload) throws IOException;

    /**
     * The TCP transport, listening on {@code listen} if present (a client need not), its reads paused under
     * {@link #STARTING} from before it listens; it receives frames of any size the protocol allows.
     *
     * @param resolver where endpoint look-ups run
     */
    Transport tcp(IoEventLoop loop, Optional<InetSocketAddress> listen, LocalStatic identity,
                  ByteBufAllocator alloc, Executor resolver) throws IOException;

    /**
     * Looks a host name up (DNS, /etc/hosts): the endpoint's address. May block; never called on an event loop.
     *
     * @throws UnknownHostException if the name does not resolve now
     */
    default java.net.InetAddress resolve(String host) throws java.net.UnknownHostException {
        return java.net.InetAddress.getByName(host);
    }
}
