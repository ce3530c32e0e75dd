package dev.culvert.daemon;

import dev.culvert.config.DeviceConfig;
import dev.culvert.daemon.tun.LinkConfigurator;
import dev.culvert.daemon.tun.TunChannel;
import dev.culvert.daemon.tun.TunChannelOption;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.transport.Transport;
import dev.culvert.protocol.wire.PacketRoom;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.EpollIoHandler;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.Executor;

/** The real host: epoll loops, kernel tun/tap devices ({@link TunChannel}), ip(8), UDP and TCP sockets. */
final class LinuxPlatform implements Platform {
    private final LinkConfigurator links = new LinkConfigurator();

    @Override
    public IoHandlerFactory ioHandlerFactory() {
        return EpollIoHandler.newFactory();
    }

    @Override
    public Channel openDevice(DeviceConfig device) throws IOException {
        TunChannel channel = device.existing()
                ? TunChannel.adopt(device.name(), device.mode(), device.mtu(), device.offload())
                : TunChannel.open(device.name(), device.mode(), device.mtu(), device.offload());
        channel.config().setOption(TunChannelOption.HEADROOM, PacketRoom.HEADROOM);
        channel.config().setOption(TunChannelOption.TAILROOM, PacketRoom.TAILROOM);
        return channel;
    }

    @Override
    public LinkConfigurator links() {
        return links;
    }

    @Override
    public Transport udp(IoEventLoop loop, InetSocketAddress listen, LocalStatic identity,
                         ByteBufAllocator alloc, boolean offload) throws IOException {
        return UdpTransport.bind(loop, listen, identity, alloc, offload, STARTING);
    }

    @Override
    public Transport tcp(IoEventLoop loop, Optional<InetSocketAddress> listen, LocalStatic identity,
                         ByteBufAllocator alloc, Executor resolver) throws IOException {
        TcpTransport tcp = new TcpTransport(loop, identity, alloc, resolver);
        // No connection exists yet: the pause makes every accepted or dialled one start with reads off.
        loop.submit(() -> tcp.pauseReads(STARTING)).awaitUninterruptibly();
        if (listen.isPresent()) {
            try {
                tcp.listen(listen.get());
            } catch (IOException e) {
                tcp.close();
                throw e;
            }
        }
        return tcp;
    }
}
