package dev.culvert.protocol.netty;

import dev.culvert.crypto.X25519;
import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.Engine;
import dev.culvert.protocol.Peer;
import dev.culvert.protocol.PeerOptions;
import dev.culvert.protocol.TimeSource;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.noise.RemoteStatic;
import dev.culvert.protocol.testing.Packets;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** WireGuard messages over length-framed TCP on loopback, both engines on one event loop. */
class StreamTransportTest {
    private MultiThreadIoEventLoopGroup group;
    private EventLoop loop;
    private Engine client;
    private Engine server;
    private StreamOutbound clientOut;
    private StreamOutbound serverOut;
    private Peer serverAtClient;
    private final List<ByteBuf> deliveredAtServer = new CopyOnWriteArrayList<>();
    private Channel listener;
    private LocalStatic clientKey;

    @BeforeEach
    void setUp() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        loop = group.next();
        SecureRandom random = new SecureRandom();
        clientKey = new LocalStatic(X25519.generatePrivateKey(random));
        LocalStatic serverKey = new LocalStatic(X25519.generatePrivateKey(random));
        clientOut = new StreamOutbound();
        serverOut = new StreamOutbound();
        client = new Engine(clientKey, TimeSource.system(), random, PooledByteBufAllocator.DEFAULT, clientOut);
        server = new Engine(serverKey, TimeSource.system(), random, PooledByteBufAllocator.DEFAULT, serverOut);
        listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(pipeline(server, serverOut, null))
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        InetSocketAddress serverAddr = (InetSocketAddress) listener.localAddress();
        onLoop(() -> {
            server.addPeer(new RemoteStatic(serverKey, clientKey.publicKey(), null),
                    new PeerOptions(null, 0, 1420, dev.culvert.protocol.InboundSink.of(deliveredAtServer::add)));
            serverAtClient = client.addPeer(new RemoteStatic(clientKey, serverKey.publicKey(), null),
                    new PeerOptions(serverAddr, 0, 1420, dev.culvert.protocol.InboundSink.of(ByteBuf::release)));
            return null;
        });
    }

    @AfterEach
    void tearDown() throws Exception {
        onLoop(() -> {
            client.close();
            server.close();
            return null;
        });
        deliveredAtServer.forEach(ByteBuf::release);
        listener.close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private static ChannelInitializer<SocketChannel> pipeline(Engine engine, StreamOutbound out, Runnable onActive) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new StreamFrameDecoder(1500), new StreamFrameEncoder(),
                        new StreamEngineHandler(engine, out, onActive, null));
            }
        };
    }

    private <T> T onLoop(Callable<T> task) throws Exception {
        return loop.submit(task).get(5, TimeUnit.SECONDS);
    }

    private Channel dial() throws InterruptedException {
        return new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(pipeline(client, clientOut, () -> serverAtClient.start()))
                .connect(listener.localAddress()).sync().channel();
    }

    @Test
    void handshakeAndDataOverTcp() throws Exception {
        dial();
        await().atMost(5, TimeUnit.SECONDS).until(() -> onLoop(() -> serverAtClient.hasSession()));
        onLoop(() -> {
            serverAtClient.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 1400));
            clientOut.flush();
            return null;
        });
        await().atMost(5, TimeUnit.SECONDS).until(() -> deliveredAtServer.size() == 1);
        assertThat(deliveredAtServer.get(0).readableBytes()).isEqualTo(1408); // padded to 16; the pipeline trims
    }

    @Test
    void secondConnectionWithTheSameKeyReplacesTheFirst() throws Exception {
        Channel first = dial();
        await().atMost(5, TimeUnit.SECONDS).until(() -> onLoop(() -> serverOut.connections() == 1 && serverAtClient.hasSession()));
        Channel second = dial();
        // the new connection's handshake wins; the server closes the old one (the client sees it close)
        await().atMost(10, TimeUnit.SECONDS).until(() -> !first.isActive());
        assertThat(second.isActive()).isTrue();
        await().atMost(5, TimeUnit.SECONDS).until(() -> onLoop(() -> serverOut.connections() == 1));
    }

    /**
     * Issue 13: a frame that must be refused costs that frame only. A zero-length frame keeps the stream
     * in step, so it is an empty message, dropped and counted as {@code malformed} like a short datagram;
     * the connection goes on reading the frames after it.
     */
    @Test
    void aZeroLengthFrameIsACountedDropAndTheConnectionStays() throws Exception {
        InetSocketAddress addr = (InetSocketAddress) listener.localAddress();
        try (Socket s = new Socket(addr.getAddress(), addr.getPort())) {
            OutputStream o = s.getOutputStream();
            o.write(new byte[] {0, 0, 0, 3, 1, 2, 3});
            o.flush();
            await().atMost(5, TimeUnit.SECONDS)
                    .until(() -> onLoop(() -> server.counters().drops(DropReason.MALFORMED)) == 2);
            o.write(new byte[] {0, 0});
            o.flush();
            await().atMost(5, TimeUnit.SECONDS)
                    .until(() -> onLoop(() -> server.counters().drops(DropReason.MALFORMED)) == 3);
        }
    }

    @Test
    void oversizedFramesCloseTheConnection() throws Exception {
        InetSocketAddress addr = (InetSocketAddress) listener.localAddress();
        for (byte[] bad : new byte[][] {{(byte) 0xFF, (byte) 0xFF, 1, 2, 3}, {0x07, (byte) 0xFF}}) {
            try (Socket s = new Socket(addr.getAddress(), addr.getPort())) {
                s.setSoTimeout(5000);
                OutputStream o = s.getOutputStream();
                o.write(bad);
                o.flush();
                InputStream in = s.getInputStream();
                assertThat(in.read()).as("server closes, sends nothing").isEqualTo(-1);
            }
        }
        assertThat(StreamEngineHandler.framingErrors()).isGreaterThanOrEqualTo(2);
        // the listener still serves a real client
        dial();
        await().atMost(5, TimeUnit.SECONDS).until(() -> onLoop(() -> serverAtClient.hasSession()));
    }

    /**
     * SECURITY.md: a stream out of step (bytes injected or lost) stayed open while every message failed on it; now
     * {@link StreamEngineHandler#MAX_UNPLACEABLE_IN_A_ROW} unplaceable frames in a row close it, so the client
     * redials. Fewer leave it open.
     */
    @Test
    void aStreamOutOfStepIsClosedAfterSoManyUnplaceableFramesInARow() throws Exception {
        InetSocketAddress addr = (InetSocketAddress) listener.localAddress();
        byte[] garbage = {0, 3, 7, 7, 7}; // one frame of 3 bytes, no message type of ours
        try (Socket s = new Socket(addr.getAddress(), addr.getPort())) {
            OutputStream o = s.getOutputStream();
            for (int i = 1; i < StreamEngineHandler.MAX_UNPLACEABLE_IN_A_ROW; i++) {
                o.write(garbage);
            }
            o.flush();
            await().atMost(5, TimeUnit.SECONDS).until(() -> onLoop(() -> server.counters().drops(DropReason.MALFORMED))
                    == StreamEngineHandler.MAX_UNPLACEABLE_IN_A_ROW - 1);
            s.setSoTimeout(300);
            InputStream in = s.getInputStream();
            assertThat(org.assertj.core.api.Assertions.catchThrowable(in::read)).as("still open")
                    .isInstanceOf(java.net.SocketTimeoutException.class);
            o.write(garbage);
            o.flush();
            s.setSoTimeout(5000);
            assertThat(in.read()).as("closed by the server").isEqualTo(-1);
        }
    }
}
