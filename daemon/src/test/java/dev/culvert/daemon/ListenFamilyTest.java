package dev.culvert.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.crypto.X25519;
import dev.culvert.protocol.noise.LocalStatic;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 10: {@code listen.udp = "0.0.0.0:PORT"} is an IPv4-only socket (it was an IPv6 socket, so it
 * listened on IPv6 too), and {@code [::]} one that takes both families. Checked on loopback by what the socket can
 * send to, the kernel's answer: an IPv4 socket cannot send to {@code ::1} at all, a dual-stack one can send to both.
 */
class ListenFamilyTest {
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final LocalStatic identity = new LocalStatic(X25519.generatePrivateKey(new SecureRandom()));
    private UdpTransport transport;

    @AfterEach
    void close() {
        if (transport != null) {
            transport.close();
        }
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private Channel bind(String host) throws Exception {
        transport = UdpTransport.bind((IoEventLoop) group.next(), new InetSocketAddress(InetAddress.getByName(host), 0),
                identity, ByteBufAllocator.DEFAULT, false);
        return transport.channel();
    }

    private static ChannelFuture send(Channel channel, String to) throws Exception {
        return channel.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(new byte[] {1}),
                new InetSocketAddress(InetAddress.getByName(to), 9))).await();
    }

    @Test
    void theIpv4WildcardIsAnIpv4OnlySocket() throws Exception {
        Channel channel = bind("0.0.0.0");

        assertThat(channel).isInstanceOf(EpollDatagramChannel.class);
        assertThat(send(channel, "127.0.0.1").isSuccess()).isTrue();
        ChannelFuture v6 = send(channel, "::1");
        assertThat(v6.isSuccess()).as("an IPv4 socket cannot send to ::1").isFalse();
    }

    @Test
    void theIpv6WildcardTakesBothFamilies() throws Exception {
        Channel channel = bind("::");

        assertThat(send(channel, "127.0.0.1").isSuccess()).isTrue();
        assertThat(send(channel, "::1").isSuccess()).isTrue();
    }

    @Test
    void theFamilyFollowsTheAddress() throws Exception {
        assertThat(Addresses.socketFamily(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 1)))
                .isEqualTo(io.netty.channel.socket.SocketProtocolFamily.INET);
        assertThat(Addresses.socketFamily(new InetSocketAddress(InetAddress.getByName("::"), 1))).isNull();
        assertThat(Addresses.socketFamily(new InetSocketAddress(Addresses.ANY6, 1))).isNull();
    }
}
