package dev.culvert.daemon;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
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
import io.netty.channel.unix.SegmentedDatagramPacket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What Netty's epoll datagram channel does with a UDP_GRO coalesced datagram (a GSO send over loopback
 * arrives coalesced), and so why {@link UdpTransport} reads GRO sockets with one slot: its recvmsg path
 * splits the datagram into slices of the segment size, its recvmmsg path (several slots) does not
 * (netty/netty#17492). When the second test fails after a Netty upgrade, raise
 * {@code UdpTransport.GRO_SLOTS_PER_READ} to restore recvmmsg batching.
 */
class NettyGroReadTest {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());

    @AfterEach
    void shutdown() throws Exception {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private List<Integer> receivedLengths(int slots) throws Exception {
        List<Integer> lengths = new CopyOnWriteArrayList<>();
        Channel rx = new Bootstrap().group(group).channel(EpollDatagramChannel.class)
                .option(EpollChannelOption.UDP_GRO, true)
                .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, UdpTransport.GRO_SLOT_BYTES)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(UdpTransport.GRO_SLOT_BYTES * slots))
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        DatagramPacket p = (DatagramPacket) msg;
                        lengths.add(p.content().readableBytes());
                        p.release();
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        Channel tx = new Bootstrap().group(group).channel(EpollDatagramChannel.class)
                .handler(new ChannelInboundHandlerAdapter())
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        CompositeByteBuf content = Unpooled.compositeBuffer();
        for (int size : new int[] {100, 100, 100, 60}) {
            ByteBuf b = Unpooled.directBuffer(size);
            b.writeZero(size);
            content.addComponent(true, b);
        }
        tx.writeAndFlush(new SegmentedDatagramPacket(content, 100, (InetSocketAddress) rx.localAddress())).sync();
        await().atMost(5, TimeUnit.SECONDS).until(() -> lengths.stream().mapToInt(Integer::intValue).sum() == 360);
        tx.close().sync();
        rx.close().sync();
        return lengths;
    }

    @Test
    void oneSlotReadsWithRecvmsgAndSplitsTheCoalescedDatagram() throws Exception {
        assertThat(UdpTransport.GRO_SLOTS_PER_READ).isOne();
        assertThat(receivedLengths(1)).containsExactly(100, 100, 100, 60);
    }

    @Test
    void severalSlotsReadWithRecvmmsgWhichLosesTheSegmentSize() throws Exception {
        assertThat(receivedLengths(8)).as("netty#17492 is fixed: raise GRO_SLOTS_PER_READ").containsExactly(360);
    }
}
