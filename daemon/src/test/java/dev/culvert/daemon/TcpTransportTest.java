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
import java.util.concurrent.ForkJoinPool;

/** The TCP transport keeps the transport contract, over loopback. */
class TcpTransportTest extends TransportContract {
    @Override
    protected EventLoopGroup newGroup() {
        return new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    }

    @Override
    protected Transport listen(EventLoop loop, LocalStatic identity) throws Exception {
        TcpTransport tcp = new TcpTransport((IoEventLoop) loop, identity, ALLOC, ForkJoinPool.commonPool());
        tcp.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return tcp;
    }

    @Override
    protected Transport dialer(EventLoop loop, LocalStatic identity) {
        return new TcpTransport((IoEventLoop) loop, identity, ALLOC, ForkJoinPool.commonPool());
    }
}
