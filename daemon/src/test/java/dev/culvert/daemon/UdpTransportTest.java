package dev.culvert.daemon;

import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.transport.Transport;
import dev.culvert.protocol.transport.TransportContract;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/** The UDP transport keeps the transport contract, over loopback, with offloads (GSO and GRO) on. */
class UdpTransportTest extends TransportContract {
    /** Whether the transports under test try UDP GSO and GRO. */
    protected boolean offload() {
        return true;
    }

    @Override
    protected EventLoopGroup newGroup() {
        return new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    }

    @Override
    protected Transport listen(EventLoop loop, LocalStatic identity) throws Exception {
        return UdpTransport.bind((IoEventLoop) loop, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                identity, ALLOC, offload());
    }

    @Override
    protected Transport dialer(EventLoop loop, LocalStatic identity) throws Exception {
        return listen(loop, identity);
    }
}
