package dev.culvert.daemon;

import static org.awaitility.Awaitility.await;

import dev.culvert.protocol.DropReason;
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
import java.time.Duration;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

/**
 * The TCP transport keeps the transport contract, over loopback — with an admission timeout of 300 ms, so that an
 * authenticated connection wrongly taken for an unauthenticated one ({@link TcpAdmission}) would be closed under
 * the contract's tests.
 */
class TcpTransportTest extends TransportContract {
    private static final Duration AUTH_TIMEOUT = Duration.ofMillis(300);
    private TcpTransport server;

    @Override
    protected EventLoopGroup newGroup() {
        return new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    }

    @Override
    protected Transport listen(EventLoop loop, LocalStatic identity) throws Exception {
        TcpTransport tcp = new TcpTransport((IoEventLoop) loop, identity, ALLOC, ForkJoinPool.commonPool(),
                AUTH_TIMEOUT.toNanos());
        tcp.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        server = tcp;
        return tcp;
    }

    @Override
    protected Transport dialer(EventLoop loop, LocalStatic identity) {
        return new TcpTransport((IoEventLoop) loop, identity, ALLOC, ForkJoinPool.commonPool());
    }

    @Test
    void anAuthenticatedConnectionOutlivesTheAdmissionTimeout() {
        await().during(AUTH_TIMEOUT.multipliedBy(5)).atMost(AUTH_TIMEOUT.multipliedBy(10))
                .until(() -> server.engine().counters().drops(DropReason.UNAUTHENTICATED_CONNECTION) == 0);
    }
}
