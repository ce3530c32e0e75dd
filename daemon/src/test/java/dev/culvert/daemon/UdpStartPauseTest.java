package dev.culvert.daemon;

import dev.culvert.crypto.X25519;
import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.noise.LocalStatic;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 13 (start order): a UDP transport bound with a start pause reads nothing, not even what was
 * waiting on the socket, until the pause is resumed; then it reads it. Over loopback, no root.
 */
class UdpStartPauseTest {
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final IoEventLoop loop = (IoEventLoop) group.next();
    private UdpTransport udp;
    private UdpTransport control;

    @AfterEach
    void close() {
        if (udp != null) {
            udp.close();
        }
        if (control != null) {
            control.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private UdpTransport bind(Object pausedBy) throws Exception {
        udp = bindOnLoop(pausedBy);
        return udp;
    }

    private UdpTransport bindOnLoop(Object pausedBy) throws Exception {
        LocalStatic identity = new LocalStatic(X25519.generatePrivateKey(new SecureRandom()));
        return UdpTransport.bind(loop, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), identity,
                PooledByteBufAllocator.DEFAULT, false, pausedBy);
    }

    /** A handshake initiation's type and size (148 bytes) from a key the engine does not know. */
    private void sendInitiation() throws Exception {
        sendInitiation(udp);
    }

    private static void sendInitiation(UdpTransport to) throws Exception {
        byte[] initiation = new byte[148];
        new SecureRandom().nextBytes(initiation);
        initiation[0] = 1;
        initiation[1] = 0;
        initiation[2] = 0;
        initiation[3] = 0;
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            socket.send(new DatagramPacket(initiation, initiation.length, to.localAddress()));
        }
    }

    private long drops() {
        return drops(udp);
    }

    private static long drops(UdpTransport transport) {
        return Arrays.stream(DropReason.values()).mapToLong(r -> transport.engine().counters().drops(r)).sum();
    }

    /**
     * The loop has read its sockets since the datagram was queued: an unpaused control socket on the same loop,
     * sent to afterwards, has read (and refused) its own initiation.
     */
    private void turnLoop() throws Exception {
        control = bindOnLoop(null);
        sendInitiation(control);
        await().atMost(5, TimeUnit.SECONDS).until(() -> drops(control) == 1);
        loop.submit(() -> { }).sync();
    }

    @Test
    void withoutAPauseTheDatagramIsRead() throws Exception {
        bind(null);
        sendInitiation();
        await().atMost(5, TimeUnit.SECONDS).until(() -> drops() == 1);
        turnLoop();
        assertThat(drops()).as("read once (and refused: unknown peer)").isEqualTo(1);
    }

    @Test
    void pausedFromTheBindNothingIsReadUntilResumed() throws Exception {
        Object starting = Platform.STARTING;
        bind(starting);
        sendInitiation();
        turnLoop();
        assertThat(drops()).as("nothing read while paused").isZero();

        loop.submit(() -> udp.resumeReads(starting)).sync();
        await().atMost(5, TimeUnit.SECONDS).until(() -> drops() == 1);
    }
}
