package dev.culvert.protocol.testing;

import dev.culvert.protocol.noise.LocalStatic;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A network of {@link MemoryTransport}s, addressed like sockets (wireguard-go's {@code bindtest}): a
 * datagram sent to an address that no transport holds is lost, as on a real network. Thread-safe.
 */
public final class MemoryNetwork {
    private final Map<InetSocketAddress, MemoryTransport> byAddress = new ConcurrentHashMap<>();

    /**
     * A transport at {@code address} on {@code loop}, with its own engine for {@code local}.
     *
     * @param highWaterBytes bytes sent but not yet read by the receiver above which the transport is not
     *                       writable (it is again below half of it)
     * @throws IllegalStateException if the address is taken
     */
    public MemoryTransport attach(InetSocketAddress address, EventLoop loop, LocalStatic local, ByteBufAllocator alloc,
                                  long highWaterBytes) {
        MemoryTransport transport = new MemoryTransport(this, address, loop, local, alloc, highWaterBytes);
        if (byAddress.putIfAbsent(address, transport) != null) {
            transport.close();
            throw new IllegalStateException("address " + address + " is taken on this memory network");
        }
        return transport;
    }

    /** Like {@link #attach(InetSocketAddress, EventLoop, LocalStatic, ByteBufAllocator, long)} with 1 MiB. */
    public MemoryTransport attach(InetSocketAddress address, EventLoop loop, LocalStatic local, ByteBufAllocator alloc) {
        return attach(address, loop, local, alloc, 1 << 20);
    }

    MemoryTransport lookup(InetSocketAddress address) {
        return byAddress.get(address);
    }

    void detach(InetSocketAddress address, MemoryTransport transport) {
        byAddress.remove(address, transport);
    }
}
