package dev.culvert.daemon;

import dev.culvert.config.DeviceMode;
import dev.culvert.crypto.X25519;
import dev.culvert.daemon.tun.MemoryTunChannel;
import dev.culvert.protocol.AllowedIps;
import dev.culvert.protocol.Counters;
import dev.culvert.protocol.Peer;
import dev.culvert.protocol.PeerOptions;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.noise.RemoteStatic;
import dev.culvert.protocol.pipeline.TunnelInitializer;
import dev.culvert.protocol.wire.PacketRoom;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Back-pressure end to end over TCP: a server that stops reading (a slow reader) fills the client's
 * connection; the client's tunnel then stops reading its device, so the packets wait in the "kernel"
 * (the device twin) instead of in the daemon's memory, which stays flat; when the server reads again,
 * every packet arrives, none dropped.
 */
class TcpBackPressureTest {
    private static final int PACKETS = 40_000;
    private static final int SIZE = 1400;

    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final EventLoop loop = group.next();
    private final PooledByteBufAllocator alloc = new PooledByteBufAllocator(true);
    private TcpTransport server;
    private TcpTransport client;
    private MemoryTunChannel serverDevice;
    private MemoryTunChannel clientDevice;

    @AfterEach
    void tearDown() {
        if (clientDevice != null) {
            clientDevice.close().awaitUninterruptibly();
            serverDevice.close().awaitUninterruptibly();
            serverDevice.written().forEach(ByteBuf::release);
        }
        if (client != null) {
            client.close();
            server.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private <T> T onLoop(Callable<T> task) throws Exception {
        return loop.submit(task).get(10, TimeUnit.SECONDS);
    }

    private MemoryTunChannel device(String name, TcpTransport transport, RemoteStatic remote, String allowed,
                                    InetSocketAddress endpoint, AtomicReference<Peer> peer) throws Exception {
        MemoryTunChannel device = new MemoryTunChannel(name, DeviceMode.TUN, 1420);
        device.config().setAllocator(alloc);
        device.config().setHeadroom(PacketRoom.HEADROOM).setTailroom(PacketRoom.TAILROOM);
        AllowedIps allowedIps = new AllowedIps(List.of(new AllowedIps.Prefix(InetAddress.getByName(allowed), 32)));
        device.pipeline().addLast(new TunnelInitializer(new TunnelInitializer.Settings(name, remote, allowedIps, false,
                null, new PeerOptions(endpoint, 0, 1420, null)), transport, peer::set));
        loop.register(device).sync();
        return device;
    }

    /** An IPv4 packet from 198.18.0.2 to 198.18.0.1. */
    private static byte[] packet(int seq) {
        byte[] p = new byte[SIZE];
        p[0] = 0x45;
        p[2] = (byte) (SIZE >> 8);
        p[3] = (byte) SIZE;
        p[12] = (byte) 198;
        p[13] = 18;
        p[15] = 2;
        p[16] = (byte) 198;
        p[17] = 18;
        p[19] = 1;
        p[20] = (byte) (seq >> 24);
        p[21] = (byte) (seq >> 16);
        p[22] = (byte) (seq >> 8);
        p[23] = (byte) seq;
        return p;
    }

    @Test
    void aSlowReaderStopsTheDeviceInsteadOfGrowingMemory() throws Exception {
        SecureRandom random = new SecureRandom();
        LocalStatic serverKey = new LocalStatic(X25519.generatePrivateKey(random));
        LocalStatic clientKey = new LocalStatic(X25519.generatePrivateKey(random));
        server = new TcpTransport((IoEventLoop) loop, serverKey, alloc, ForkJoinPool.commonPool());
        server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client = new TcpTransport((IoEventLoop) loop, clientKey, alloc, ForkJoinPool.commonPool());
        AtomicReference<Peer> clientAtServer = new AtomicReference<>();
        AtomicReference<Peer> serverAtClient = new AtomicReference<>();
        serverDevice = device("srv", server, new RemoteStatic(serverKey, clientKey.publicKey(), null), "198.18.0.2",
                null, clientAtServer);
        clientDevice = device("cli", client, new RemoteStatic(clientKey, serverKey.publicKey(), null), "198.18.0.1",
                server.localAddress(), serverAtClient);
        client.connect("cli", server::localAddress, () -> {
            serverAtClient.get().transportReady();
            client.flush();
        });
        await().atMost(10, TimeUnit.SECONDS).until(() -> onLoop(() -> serverAtClient.get().hasSession()
                && clientAtServer.get().hasSession()));

        Object slowReader = new Object();
        onLoop(() -> {
            server.pauseReads(slowReader);
            return null;
        });
        long memoryBefore = alloc.metric().usedDirectMemory();
        for (int i = 0; i < PACKETS; i += 500) {
            List<ByteBuf> batch = new ArrayList<>();
            for (int j = i; j < i + 500; j++) {
                batch.add(io.netty.buffer.Unpooled.wrappedBuffer(packet(j)));
            }
            clientDevice.inject(batch);
        }
        // The connection fills, the tunnel turns its device's reads off, and the rest waits in the "kernel".
        await().atMost(20, TimeUnit.SECONDS).until(() -> onLoop(() -> !clientDevice.config().isAutoRead()
                && !client.isWritable(server.localAddress())));
        long queued = onLoop(client::pendingWriteBytes);
        assertThat(queued).as("bytes queued on the connection").isLessThanOrEqualTo(
                TcpTransport.WATER_MARK.high() + 64L * (SIZE + 64));
        assertThat(clientDevice.pendingInbound()).as("packets left in the kernel").isGreaterThan(PACKETS / 2);
        long memoryStalled = alloc.metric().usedDirectMemory();
        assertThat(memoryStalled - memoryBefore).as("direct memory grown while stalled")
                .isLessThan(16L << 20); // PACKETS * SIZE = 56 MB had it all been queued

        onLoop(() -> {
            server.resumeReads(slowReader);
            return null;
        });
        for (int i = 0; i < PACKETS; i++) {
            ByteBuf got = serverDevice.written().poll(30, TimeUnit.SECONDS);
            assertThat(got).as("packet %d", i).isNotNull();
            assertThat(got.getInt(got.readerIndex() + 20)).as("packet %d in order", i).isEqualTo(i);
            got.release();
        }
        assertThat(onLoop(() -> serverAtClient.get().counters().totalDrops())).isZero();
        assertThat(onLoop(() -> clientAtServer.get().counters().totalDrops())).isZero();
        assertThat(onLoop(() -> clientDevice.config().isAutoRead())).isTrue();
        assertThat(onLoop(() -> clientAtServer.get().counters().get(Counters.Kind.RX_PACKETS)))
                .isGreaterThanOrEqualTo(PACKETS);
    }
}
