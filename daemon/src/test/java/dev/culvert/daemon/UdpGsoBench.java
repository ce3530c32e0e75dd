package dev.culvert.daemon;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A socket-only microbenchmark (no crypto): one loop writes bursts of 64 equal datagrams and flushes,
 * with or without {@link UdpGsoHandler}; a receiver on another loop reads them with or without UDP_GRO
 * (one 64 KiB recvmsg slot, as UdpTransport) or with 32-slot recvmmsg. Run in a network namespace:
 * {@code UdpGsoBench <gso> <gro> <payloadBytes> <seconds>}; prints sent and received datagrams/s.
 * {@code -Dslot=, -Dslots=, -Dmmpr=} override the read slot size, slots per read and reads per wake-up.
 */
public final class UdpGsoBench {
    private UdpGsoBench() {}

    public static void main(String[] args) throws Exception {
        boolean gso = Boolean.parseBoolean(args[0]);
        boolean gro = Boolean.parseBoolean(args[1]);
        int size = Integer.parseInt(args[2]);
        int seconds = Integer.parseInt(args[3]);
        PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        LongAdder received = new LongAdder();
        int slot = Integer.getInteger("slot", gro ? UdpTransport.GRO_SLOT_BYTES : 2048);
        int slots = Integer.getInteger("slots", gro ? UdpTransport.GRO_SLOTS_PER_READ : 32);
        Channel rx = new Bootstrap().group(group.next()).channel(EpollDatagramChannel.class)
                .option(ChannelOption.ALLOCATOR, alloc)
                .option(ChannelOption.SO_RCVBUF, 4 << 20)
                .option(EpollChannelOption.UDP_GRO, gro)
                .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, slot)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(slot * slots).maxMessagesPerRead(Integer.getInteger("mmpr", gro ? UdpTransport.GRO_DATAGRAMS_PER_WAKE : 16)))
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        received.increment();
                        ((DatagramPacket) msg).release();
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        Channel tx = new Bootstrap().group(group.next()).channel(EpollDatagramChannel.class)
                .option(ChannelOption.ALLOCATOR, alloc)
                .option(ChannelOption.SO_SNDBUF, 4 << 20)
                .handler(new ChannelInboundHandlerAdapter())
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        if (gso) {
            tx.pipeline().addFirst(new UdpGsoHandler());
        }
        InetSocketAddress to = (InetSocketAddress) rx.localAddress();
        long[] sent = new long[1];
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long start = System.nanoTime();
        tx.eventLoop().submit(() -> {
            while (System.nanoTime() < end) {
                for (int i = 0; i < 64; i++) {
                    ByteBuf b = alloc.directBuffer(size);
                    b.writerIndex(size);
                    tx.write(new DatagramPacket(b, to), tx.voidPromise());
                }
                tx.flush();
                sent[0] += 64;
            }
        }).sync();
        double elapsed = (System.nanoTime() - start) / 1e9;
        Thread.sleep(200);
        System.out.printf("GSOBENCH gso=%s gro=%s size=%d sent/s=%.0f received/s=%.0f%n", gso, gro, size,
                sent[0] / elapsed, received.sum() / elapsed);
        tx.close().sync();
        rx.close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
}
