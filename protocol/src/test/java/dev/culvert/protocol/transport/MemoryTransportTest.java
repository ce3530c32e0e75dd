package dev.culvert.protocol.transport;

import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.testing.MemoryNetwork;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;

import java.net.InetSocketAddress;

/** The in-memory twin keeps the transport contract. */
class MemoryTransportTest extends TransportContract {
    private final MemoryNetwork network = new MemoryNetwork();

    @Override
    protected EventLoopGroup newGroup() {
        return new DefaultEventLoopGroup(1);
    }

    @Override
    protected Transport listen(EventLoop loop, LocalStatic identity) {
        return network.attach(new InetSocketAddress("192.0.2.1", 51820), loop, identity, ALLOC);
    }

    @Override
    protected Transport dialer(EventLoop loop, LocalStatic identity) {
        return network.attach(new InetSocketAddress("192.0.2.2", 40000), loop, identity, ALLOC);
    }
}
