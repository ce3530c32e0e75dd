package dev.culvert.daemon;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Run by {@link UdpOffloadNetnsTest} in a namespace whose route to {@code args[0]} leaves through a
 * device whose MTU is below the datagrams' size (so the kernel refuses UDP_SEGMENT sends): writes two
 * bursts of equal datagrams through {@link UdpGsoHandler} and prints what happened as one
 * {@code RESULT} line.
 */
public final class UdpGsoFallbackMain {
    private UdpGsoFallbackMain() {}

    public static void main(String[] args) throws Exception {
        InetSocketAddress to = new InetSocketAddress(args[0], 9);
        int count = 10;
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        UdpGsoHandler gso = new UdpGsoHandler();
        Channel ch = new Bootstrap().group(group).channel(EpollDatagramChannel.class)
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
                        System.out.println("socket error: " + cause);
                    }
                })
                .bind(new InetSocketAddress(0)).sync().channel();
        ch.pipeline().addFirst(gso);
        long[] before = UdpOffloadMain.udpCounters();
        burst(ch, to, count);
        boolean afterFirst = ch.eventLoop().submit(gso::enabled).get();
        long[] middle = UdpOffloadMain.udpCounters();
        burst(ch, to, count);
        long[] after = UdpOffloadMain.udpCounters();
        System.out.println(UdpOffloadMain.RESULT + "gsoAfterFirst=" + afterFirst
                + " fallbacks=" + ch.eventLoop().submit(gso::fallbacks).get()
                + " sizeFallbacks=" + ch.eventLoop().submit(gso::sizeFallbacks).get()
                + " maxSegment=" + ch.eventLoop().submit(gso::maxSegment).get()
                + " firstOut=" + (middle[1] - before[1]) + " secondOut=" + (after[1] - middle[1]));
        ch.close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private static void burst(Channel ch, InetSocketAddress to, int count) throws Exception {
        ch.eventLoop().submit(() -> {
            for (int i = 0; i < count; i++) {
                ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(1000);
                b.writeZero(1000);
                ch.write(new DatagramPacket(b, to), ch.voidPromise());
            }
            ch.flush();
        }).get(10, TimeUnit.SECONDS);
        // The write completes within the flush on the loop; one more task orders us after it.
        ch.eventLoop().submit(() -> { }).get(10, TimeUnit.SECONDS);
    }
}
