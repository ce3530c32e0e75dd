package dev.culvert.daemon;

import dev.culvert.config.DeviceConfig;
import dev.culvert.daemon.tun.CommandRunner;
import dev.culvert.daemon.tun.LinkConfigurator;
import dev.culvert.daemon.tun.MemoryTunChannel;
import dev.culvert.daemon.tun.TunChannelOption;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.testing.MemoryNetwork;
import dev.culvert.protocol.transport.Transport;
import dev.culvert.protocol.wire.PacketRoom;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.local.LocalIoHandler;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;

/**
 * One site's host, in memory: devices are {@link MemoryTunChannel}s the test plays the kernel of, ip(8)
 * commands are recorded and succeed, and both transports are {@link dev.culvert.protocol.testing.MemoryTransport}s
 * on a shared {@link MemoryNetwork} at this site's underlay address (UDP at its port, TCP at port + 1).
 */
final class TwinPlatform implements Platform {
    final MemoryNetwork network;
    final InetSocketAddress underlay;
    final Map<String, MemoryTunChannel> devices = new ConcurrentHashMap<>();
    final List<List<String>> commands = new CopyOnWriteArrayList<>();
    /** ip(8) commands that fail (as the kernel refusing them: "RTNETLINK answers: File exists"); none by default. */
    volatile java.util.function.Predicate<List<String>> failingCommands = argv -> false;
    /** Runs on the starting thread before each device opens (a test's hook into start-up), or null. */
    volatile Runnable beforeDevice;
    /** The last UDP transport attached, or null. */
    volatile Transport udp;
    /** This site's DNS: names the test makes resolvable (and moves); any other name is unknown. */
    final Map<String, InetAddress> names = new ConcurrentHashMap<>();
    /** How many look-ups the daemon made, by name. */
    final Map<String, Integer> lookUps = new ConcurrentHashMap<>();

    TwinPlatform(MemoryNetwork network, InetSocketAddress underlay) {
        this.network = network;
        this.underlay = underlay;
    }

    @Override
    public InetAddress resolve(String host) throws UnknownHostException {
        lookUps.merge(host, 1, Integer::sum);
        InetAddress address = names.get(host);
        if (address == null) {
            throw new UnknownHostException(host);
        }
        return address;
    }

    @Override
    public IoHandlerFactory ioHandlerFactory() {
        return LocalIoHandler.newFactory();
    }

    @Override
    public Channel openDevice(DeviceConfig device) {
        Runnable hook = beforeDevice;
        if (hook != null) {
            hook.run();
        }
        MemoryTunChannel channel = new MemoryTunChannel(device.name(), device.mode(), device.mtu());
        channel.config().setOption(TunChannelOption.HEADROOM, PacketRoom.HEADROOM);
        channel.config().setOption(TunChannelOption.TAILROOM, PacketRoom.TAILROOM);
        devices.put(device.name(), channel);
        return channel;
    }

    @Override
    public LinkConfigurator links() {
        CommandRunner recorder = (argv, timeout) -> {
            commands.add(argv);
            return failingCommands.test(argv) ? new CommandRunner.CommandResult(2, "", "RTNETLINK answers: File exists")
                    : new CommandRunner.CommandResult(0, "", "");
        };
        return new LinkConfigurator(recorder);
    }

    @Override
    public Transport udp(IoEventLoop loop, InetSocketAddress listen, LocalStatic identity,
                         ByteBufAllocator alloc, boolean offload) {
        Transport transport = network.attach(listen.getPort() == 0 ? underlay : listen, loop, identity, alloc);
        udp = transport;
        return transport;
    }

    @Override
    public Transport tcp(IoEventLoop loop, Optional<InetSocketAddress> listen, LocalStatic identity,
                         ByteBufAllocator alloc, Executor resolver) {
        InetSocketAddress at = listen.orElse(new InetSocketAddress(underlay.getAddress(), underlay.getPort() + 1));
        return network.attach(at, loop, identity, alloc);
    }
}
