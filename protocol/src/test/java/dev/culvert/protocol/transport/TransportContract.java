package dev.culvert.protocol.transport;

import dev.culvert.crypto.X25519;
import dev.culvert.protocol.Counters;
import dev.culvert.protocol.InboundSink;
import dev.culvert.protocol.Peer;
import dev.culvert.protocol.PeerOptions;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.noise.RemoteStatic;
import dev.culvert.protocol.wire.PacketRoom;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What every {@link Transport} must do (Netty's transport test suite idea: one contract, a subclass per
 * transport): a server transport and a client transport, each with a peer for the other; the client
 * connects; a handshake completes; payloads of every size cross both ways intact and in order, sealed
 * in place; paused reads hold delivery until resumed; close is idempotent and leaves nothing behind.
 */
public abstract class TransportContract {
    protected static final ByteBufAllocator ALLOC = io.netty.buffer.PooledByteBufAllocator.DEFAULT;

    private EventLoopGroup group;
    private Transport server;
    private Transport client;
    private Peer clientAtServer;
    private Peer serverAtClient;
    private final LinkedBlockingQueue<ByteBuf> atServer = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<ByteBuf> atClient = new LinkedBlockingQueue<>();
    private Transport.Connection connection;

    /** The loops the transports run on (one is enough). */
    protected abstract EventLoopGroup newGroup();

    /** A transport that listens for peers calling in. */
    protected abstract Transport listen(EventLoop loop, LocalStatic identity) throws Exception;

    /** A transport for a client (it need not listen anywhere reachable). */
    protected abstract Transport dialer(EventLoop loop, LocalStatic identity) throws Exception;

    @BeforeEach
    void setUp() throws Exception {
        group = newGroup();
        EventLoop loop = group.next();
        SecureRandom random = new SecureRandom();
        LocalStatic serverKey = new LocalStatic(X25519.generatePrivateKey(random));
        LocalStatic clientKey = new LocalStatic(X25519.generatePrivateKey(random));
        server = listen(loop, serverKey);
        client = dialer(loop, clientKey);
        InetSocketAddress serverAddress = server.localAddress();
        onLoop(() -> {
            clientAtServer = server.engine().addPeer(new RemoteStatic(serverKey, clientKey.publicKey(), null),
                    new PeerOptions(null, 0, 1420, collect(atServer)));
            serverAtClient = client.engine().addPeer(new RemoteStatic(clientKey, serverKey.publicKey(), null),
                    new PeerOptions(serverAddress, 0, 1420, collect(atClient)));
            return null;
        });
        connection = client.connect("contract", () -> serverAddress, () -> {
            serverAtClient.transportReady();
            client.flush();
        });
        await().atMost(10, TimeUnit.SECONDS).until(() -> onLoop(() -> serverAtClient.hasSession()
                && clientAtServer.hasSession()));
    }

    @AfterEach
    void tearDown() throws Exception {
        connection.close();
        client.close();
        server.close();
        client.close(); // idempotent
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        atServer.forEach(ByteBuf::release);
        atClient.forEach(ByteBuf::release);
    }

    private static InboundSink collect(LinkedBlockingQueue<ByteBuf> into) {
        return InboundSink.of(into::add);
    }

    private <T> T onLoop(Callable<T> task) throws Exception {
        return group.next().submit(task).get(10, TimeUnit.SECONDS);
    }

    /** A payload with the room a device read leaves around it, filled with a pattern. */
    private static ByteBuf payload(int length, int seed) {
        ByteBuf buf = ALLOC.directBuffer(PacketRoom.HEADROOM + length + PacketRoom.TAILROOM);
        buf.setIndex(PacketRoom.HEADROOM, PacketRoom.HEADROOM);
        Random r = new Random(seed);
        for (int i = 0; i < length; i++) {
            buf.writeByte(r.nextInt());
        }
        return buf;
    }

    private void send(Peer peer, Transport via, List<ByteBuf> payloads) throws Exception {
        onLoop(() -> {
            payloads.forEach(peer::send);
            via.flush();
            return null;
        });
    }

    private static byte[] expected(int length, int seed) {
        ByteBuf p = payload(length, seed);
        try {
            return ByteBufUtil.getBytes(p);
        } finally {
            p.release();
        }
    }

    /** The payload as delivered, without WireGuard's zero padding to 16. */
    private static byte[] received(ByteBuf got, int length) {
        try {
            assertThat(got.readableBytes()).isGreaterThanOrEqualTo(length).isLessThan(length + 16);
            return ByteBufUtil.getBytes(got, got.readerIndex(), length);
        } finally {
            got.release();
        }
    }

    @Test
    void payloadsOfEverySizeCrossBothWaysIntactAndInOrder() throws Exception {
        int[] sizes = {1, 15, 16, 17, 64, 576, 1280, 1419, 1420};
        List<ByteBuf> toServer = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            toServer.add(payload(sizes[i], i));
        }
        send(serverAtClient, client, toServer);
        for (int i = 0; i < sizes.length; i++) {
            ByteBuf got = atServer.poll(10, TimeUnit.SECONDS);
            assertThat(got).as("payload %d of %d bytes", i, sizes[i]).isNotNull();
            assertThat(received(got, sizes[i])).isEqualTo(expected(sizes[i], i));
        }
        send(clientAtServer, server, List.of(payload(1000, 99)));
        ByteBuf back = atClient.poll(10, TimeUnit.SECONDS);
        assertThat(back).isNotNull();
        assertThat(received(back, 1000)).isEqualTo(expected(1000, 99));
    }

    /**
     * Issue 13, item 1: a peer whose MTU is larger than any local one (wireguard-go at 1500 or 8920)
     * sends messages that big; the receiver takes any size the protocol allows (a UDP datagram or a TCP
     * frame up to 65535 bytes), and on TCP the connection survives to carry the next message.
     */
    @Test
    void messagesOfAnySizeTheProtocolAllowsArrive() throws Exception {
        int[] sizes = {1500, 1501, 8920, 9000, 65000, 100};
        List<ByteBuf> toServer = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            toServer.add(payload(sizes[i], 40 + i));
        }
        send(serverAtClient, client, toServer);
        for (int i = 0; i < sizes.length; i++) {
            ByteBuf got = atServer.poll(10, TimeUnit.SECONDS);
            assertThat(got).as("payload %d of %d bytes", i, sizes[i]).isNotNull();
            assertThat(received(got, sizes[i])).isEqualTo(expected(sizes[i], 40 + i));
        }
    }

    @Test
    void aBurstArrivesWhole() throws Exception {
        List<ByteBuf> burst = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            burst.add(payload(1400, 1000 + i));
        }
        send(serverAtClient, client, burst);
        for (int i = 0; i < 200; i++) {
            ByteBuf got = atServer.poll(10, TimeUnit.SECONDS);
            assertThat(got).as("payload %d", i).isNotNull();
            assertThat(received(got, 1400)).isEqualTo(expected(1400, 1000 + i));
        }
        assertThat(onLoop(() -> clientAtServer.counters().get(Counters.Kind.RX_PACKETS))).isGreaterThanOrEqualTo(200);
    }

    @Test
    void pausedReadsHoldDeliveryUntilResumed() throws Exception {
        Object holder = new Object();
        onLoop(() -> {
            server.pauseReads(holder);
            return null;
        });
        send(serverAtClient, client, List.of(payload(100, 1), payload(100, 2)));
        // Nothing may arrive while paused; the client's flush has long happened when this poll gives up.
        assertThat(atServer.poll(300, TimeUnit.MILLISECONDS)).isNull();
        onLoop(() -> {
            server.resumeReads(holder);
            return null;
        });
        ByteBuf first = atServer.poll(10, TimeUnit.SECONDS);
        ByteBuf second = atServer.poll(10, TimeUnit.SECONDS);
        assertThat(first).isNotNull();
        assertThat(second).isNotNull();
        assertThat(received(first, 100)).isEqualTo(expected(100, 1));
        assertThat(received(second, 100)).isEqualTo(expected(100, 2));
    }

    @Test
    void writabilityListenersCanComeAndGo() throws Exception {
        Runnable listener = () -> { };
        assertThat(onLoop(() -> {
            client.addWritabilityListener(listener);
            client.removeWritabilityListener(listener);
            return client.isWritable(server.localAddress());
        })).isTrue();
    }
}
