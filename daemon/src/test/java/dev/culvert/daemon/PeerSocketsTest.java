package dev.culvert.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.culvert.crypto.X25519;
import dev.culvert.protocol.InboundSink;
import dev.culvert.protocol.Peer;
import dev.culvert.protocol.PeerOptions;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.noise.RemoteStatic;
import dev.culvert.protocol.wire.PacketRoom;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The per-peer connected sockets (issue 10) over loopback: once a session exists each side has a socket of its own
 * for the other, and the peer's packets arrive through it even while the listening socket reads nothing (as when
 * a flood has filled its buffer); and a second daemon's bind on the port still fails.
 */
class PeerSocketsTest {
    private static final PooledByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    private MultiThreadIoEventLoopGroup group;
    private IoEventLoop loop;
    private UdpTransport server;
    private UdpTransport client;
    private Peer clientAtServer;
    private Peer serverAtClient;
    private final LinkedBlockingQueue<ByteBuf> atServer = new LinkedBlockingQueue<>();

    @BeforeEach
    void setUp() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        loop = (IoEventLoop) group.next();
        SecureRandom random = new SecureRandom();
        LocalStatic serverKey = new LocalStatic(X25519.generatePrivateKey(random));
        LocalStatic clientKey = new LocalStatic(X25519.generatePrivateKey(random));
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        server = UdpTransport.bind(loop, any, serverKey, ALLOC, true);
        client = UdpTransport.bind(loop, any, clientKey, ALLOC, true);
        InetSocketAddress serverAddress = server.localAddress();
        onLoop(() -> {
            clientAtServer = server.engine().addPeer(new RemoteStatic(serverKey, clientKey.publicKey(), null),
                    new PeerOptions(null, 0, 1420, InboundSink.of(atServer::add)));
            serverAtClient = client.engine().addPeer(new RemoteStatic(clientKey, serverKey.publicKey(), null),
                    new PeerOptions(serverAddress, 0, 1420, InboundSink.of(ByteBuf::release)));
            serverAtClient.transportReady();
            client.flush();
            return null;
        });
        await().atMost(10, TimeUnit.SECONDS).until(() -> onLoop(() -> serverAtClient.hasSession()
                && clientAtServer.hasSession()));
    }

    @AfterEach
    void tearDown() throws Exception {
        client.close();
        server.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        atServer.forEach(ByteBuf::release);
    }

    @Test
    void thePeersPacketsArriveThroughItsOwnSocketWhileTheListeningSocketReadsNothing() throws Exception {
        await().atMost(5, TimeUnit.SECONDS).until(() -> onLoop(() -> server.peerSockets() == 1 && client.peerSockets() == 1));
        onLoop(() -> server.channel().config().setAutoRead(false)); // only the listening socket
        onLoop(() -> {
            ByteBuf p = ALLOC.directBuffer(PacketRoom.HEADROOM + 100 + PacketRoom.TAILROOM);
            p.setIndex(PacketRoom.HEADROOM, PacketRoom.HEADROOM).writeZero(100);
            serverAtClient.send(p);
            client.flush();
            return null;
        });
        ByteBuf got = atServer.poll(10, TimeUnit.SECONDS);
        assertThat(got).as("delivered while the listening socket does not read").isNotNull();
        got.release();
    }

    @Test
    void aSecondBindOnThePortStillFails() {
        InetSocketAddress taken = server.localAddress();
        assertThatThrownBy(() -> UdpTransport.bind(loop, taken, new LocalStatic(X25519.generatePrivateKey(new SecureRandom())),
                ALLOC, true)).isInstanceOf(IOException.class).hasMessageContaining("cannot listen on udp");
    }

    @Test
    void aRemovedPeerLosesItsSocket() throws Exception {
        await().atMost(5, TimeUnit.SECONDS).until(() -> onLoop(() -> server.peerSockets() == 1));
        onLoop(() -> {
            server.engine().removePeer(clientAtServer);
            return null;
        });
        await().atMost(5, TimeUnit.SECONDS).until(() -> onLoop(() -> server.peerSockets() == 0));
    }

    private <T> T onLoop(Callable<T> task) throws Exception {
        return loop.submit(task).get(10, TimeUnit.SECONDS);
    }
}
