package dev.culvert.daemon.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.culvert.config.DeviceMode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TunChannel}'s epoll logic without root: the channel is given a datagram socket instead of a
 * tun fd (both are non-blocking and keep packet boundaries). A loopback UDP socket lets many packets
 * queue up for one read; a Unix datagram socket whose receiver stops reading pushes back with EAGAIN
 * and later wakes the writer with EPOLLOUT, which a tun fd rarely does.
 */
class TunChannelEpollTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static ResourceLeakDetector.Level previousLeakLevel;
    private static MultiThreadIoEventLoopGroup group;
    private static EventLoop loop; // EventLoop, not IoEventLoop: IoEventLoopGroup deprecates register(Channel)

    private final List<FileDescriptor> peers = new ArrayList<>();
    private final List<TunChannel> channels = new ArrayList<>();

    @BeforeAll
    static void startLoop() {
        Epoll.ensureAvailability();
        previousLeakLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        loop = group.next();
    }

    @AfterAll
    static void stopLoop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        ResourceLeakDetector.setLevel(previousLeakLevel);
    }

    @AfterEach
    void closeAll() throws IOException {
        for (TunChannel channel : channels) {
            channel.close().syncUninterruptibly();
        }
        for (FileDescriptor peer : peers) {
            peer.close();
        }
    }

    @Test
    void readsInBurstsOfAtMost64WithReadCompleteAfterEach() throws Exception {
        Socket device = udpOnLoopback();
        Socket peer = connectedPeer(device);
        int count = 150;
        for (int i = 0; i < count; i++) {
            send(peer, i, Integer.BYTES);
        }
        PacketRecorder recorder = new PacketRecorder();

        register(device, 1420, c -> { }, recorder);

        await().atMost(TIMEOUT).until(() -> recorder.packets.size() == count && recorder.bursts.size() == 3);
        assertThat(recorder.bursts).containsExactly(64, 64, 22);
        assertThat(recorder.packets).isEqualTo(range(0, count));
    }

    @Test
    void eachPacketSitsAfterTheHeadroomWithTheTailroomFreeAfterTheLargestPacket() throws Exception {
        Socket device = udpOnLoopback();
        Socket peer = connectedPeer(device);
        int mtu = 1420;
        send(peer, 1, 100);
        send(peer, 2, mtu + TunChannel.TAP_LINK_HEADER); // the largest frame a tap device delivers
        PacketRecorder recorder = new PacketRecorder();

        TunChannel channel = register(device, DeviceMode.TAP, mtu, c -> {
            c.config().setOption(TunChannelOption.HEADROOM, 48);
            c.config().setOption(TunChannelOption.TAILROOM, 16);
        }, recorder);

        await().atMost(TIMEOUT).until(() -> recorder.packets.size() == 2);
        assertThat(recorder.packets).containsExactly(1, 2);
        assertThat(recorder.readerIndexes).containsExactly(48, 48);
        assertThat(recorder.lengths).containsExactly(100, mtu + 18);
        assertThat(recorder.freeAfter.get(1)).as("tailroom after the largest frame").isGreaterThanOrEqualTo(16);
        assertThat(recorder.freeAfter.get(0)).isGreaterThanOrEqualTo(16);
        assertThat(channel.config().headroom()).isEqualTo(48);
        assertThat(channel.config().getOptions()).containsEntry(TunChannelOption.TAILROOM, 16);
        assertThat(channel.oversizedReads()).isZero();
    }

    @Test
    @SuppressWarnings("deprecation") // MAX_MESSAGES_PER_READ: the option is part of what is tested
    void headroomAndTailroomAreValidated() throws Exception {
        TunChannel channel = TunChannel.wrap("sock0", DeviceMode.TUN, 1420, udpOnLoopback());
        try {
            assertThatThrownBy(() -> channel.config().setOption(TunChannelOption.HEADROOM, -1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("headroom must be 0..4096");
            assertThatThrownBy(() -> channel.config().setTailroom(4097))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tailroom");
            assertThatThrownBy(() -> channel.config().setOption(ChannelOption.MAX_MESSAGES_PER_READ, 0))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(channel.config().maxMessagesPerRead()).isEqualTo(64);
            assertThat(channel.config().getWriteBufferWaterMark().low()).isEqualTo(256 * 1024);
            assertThat(channel.config().getWriteBufferWaterMark().high()).isEqualTo(1024 * 1024);
        } finally {
            channel.unsafe().closeForcibly();
        }
        assertThat(channel.isOpen()).isFalse();
    }

    /**
     * Issue 13: the read window is the largest packet a device can deliver (65535), not the MTU the device
     * was opened with (which may be raised under us): a packet above the MTU arrives whole, for the
     * routing handler to count as too_big, never cut off by the read.
     */
    @Test
    void aPacketAboveTheMtuArrivesWholeNotTruncated() throws Exception {
        Socket device = udpOnLoopback();
        Socket peer = connectedPeer(device);
        int mtu = TunChannel.MIN_MTU;
        send(peer, 1, mtu + 1);
        send(peer, 2, mtu + 500);
        send(peer, 3, mtu);
        send(peer, 4, 9000);
        PacketRecorder recorder = new PacketRecorder();

        TunChannel channel = register(device, mtu, c -> c.config().setTailroom(8), recorder);

        await().atMost(TIMEOUT).until(() -> recorder.packets.size() == 4);
        assertThat(recorder.packets).containsExactly(1, 2, 3, 4);
        assertThat(recorder.lengths).containsExactly(mtu + 1, mtu + 500, mtu, 9000);
        assertThat(channel.oversizedReads()).isZero();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void withAutoReadOffNothingIsReadAndEachReadBringsOneBurst() throws Exception {
        Socket device = udpOnLoopback();
        Socket peer = connectedPeer(device);
        for (int i = 0; i < 30; i++) {
            send(peer, i, Integer.BYTES);
        }
        PacketRecorder recorder = new PacketRecorder();

        TunChannel channel = register(device, 1420, c -> {
            c.config().setAutoRead(false);
            c.config().setMaxMessagesPerRead(10);
        }, recorder);
        turnLoop();
        assertThat(recorder.packets).as("auto-read off and no read()").isEmpty();

        channel.read();
        await().atMost(TIMEOUT).until(() -> recorder.bursts.size() == 1);
        turnLoop();
        assertThat(recorder.bursts).as("one read() = one burst, then EPOLLIN is off").containsExactly(10);

        channel.read();
        await().atMost(TIMEOUT).until(() -> recorder.bursts.size() == 2);
        turnLoop();
        assertThat(recorder.packets).isEqualTo(range(0, 20));

        channel.config().setAutoRead(true);
        await().atMost(TIMEOUT).until(() -> recorder.packets.size() == 30);
        assertThat(recorder.packets).isEqualTo(range(0, 30));
    }

    @Test
    void switchingAutoReadOffFromAnotherThreadStopsReading() throws Exception {
        Socket device = udpOnLoopback();
        Socket peer = connectedPeer(device);
        PacketRecorder recorder = new PacketRecorder();
        TunChannel channel = register(device, 1420, c -> { }, recorder);
        send(peer, 1, Integer.BYTES);
        await().atMost(TIMEOUT).until(() -> recorder.packets.size() == 1);

        channel.config().setAutoRead(false);
        turnLoop();
        send(peer, 2, Integer.BYTES);
        turnLoop();
        // As in every Netty channel, a read() already requested (auto-read requests one after each
        // burst) is honoured: packet 2 may still come, in one last burst; after it, nothing.
        send(peer, 3, Integer.BYTES);
        turnLoop();
        assertThat(recorder.packets).startsWith(1).doesNotContain(3);

        channel.read();
        await().atMost(TIMEOUT).until(() -> recorder.packets.contains(3));
        assertThat(recorder.packets).isEqualTo(range(1, 4));
    }

    @Test
    void writabilityFollowsTheWaterMarksAndEverythingArrivesInOrder(@TempDir Path dir) throws Exception {
        Socket device = unixDgram(dir, "device");
        Socket peer = unixDgram(dir, "peer");
        device.connect(new DomainSocketAddress(dir.resolve("peer").toString())); // the peer stays unconnected, so the kernel wakes us with EPOLLOUT
        PacketRecorder recorder = new PacketRecorder();
        TunChannel channel = register(device, 1420, c -> c.config()
                .setWriteBufferWaterMark(new WriteBufferWaterMark(4 * 1024, 16 * 1024)), recorder);
        int count = 300;
        List<ByteBuf> sent = new ArrayList<>();

        loop.submit(() -> {
            for (int i = 0; i < count; i++) {
                ByteBuf packet = PooledByteBufAllocator.DEFAULT.directBuffer(1000).writeInt(i).writeZero(996);
                sent.add(packet);
                channel.write(packet, channel.voidPromise());
            }
            channel.flush();
        }).sync();

        assertThat(channel.isWritable()).as("the peer is not reading, so the outbound buffer is full").isFalse();
        await().atMost(TIMEOUT).until(() -> recorder.writability.equals(List.of(false)));
        assertThat(channel.unsafe().outboundBuffer().totalPendingWriteBytes()).isGreaterThan(16 * 1024);

        List<Integer> received = new ArrayList<>();
        await().atMost(TIMEOUT).until(() -> {
            drain(peer, received, 1000);
            return received.size() == count;
        });
        assertThat(received).isEqualTo(range(0, count));
        await().atMost(TIMEOUT).until(() -> recorder.writability.equals(List.of(false, true)));
        assertThat(channel.isWritable()).isTrue();
        assertThat(sent).allMatch(b -> b.refCnt() == 0, "every written buffer is released");
        assertThat(channel.writeErrors()).isZero();
    }

    @Test
    void aPacketTheKernelRefusesIsCountedAndTheChannelStaysOpen() throws Exception {
        Socket device = udpOnLoopback();
        Socket peer = udpOnLoopback();
        device.connect(peer.localAddress());
        peers.add(peer);
        TunChannel channel = register(device, 1420, c -> { }, new PacketRecorder());
        ByteBuf tooBig = PooledByteBufAllocator.DEFAULT.directBuffer(70_000).writeInt(1).writeZero(69_996);
        ByteBuf fine = PooledByteBufAllocator.DEFAULT.directBuffer(8).writeInt(2).writeInt(0);

        ChannelFuture refused = channel.writeAndFlush(tooBig);
        channel.writeAndFlush(fine).sync();

        assertThat(refused.await().isSuccess()).as("handed to the kernel, which dropped it").isTrue();
        assertThat(channel.writeErrors()).isEqualTo(1);
        assertThat(channel.isOpen()).isTrue();
        List<Integer> received = new ArrayList<>();
        await().atMost(TIMEOUT).until(() -> {
            drain(peer, received, 8);
            return received.size() == 1;
        });
        assertThat(received).containsExactly(2);
        assertThat(tooBig.refCnt()).isZero();
        assertThat(fine.refCnt()).isZero();
    }

    @Test
    void heapAndCompositeBuffersAreCopiedToDirectAndReleased() throws Exception {
        Socket device = udpOnLoopback();
        Socket peer = udpOnLoopback();
        device.connect(peer.localAddress());
        peers.add(peer);
        TunChannel channel = register(device, 1420, c -> { }, new PacketRecorder());
        ByteBuf heap = Unpooled.buffer(8).writeInt(7).writeInt(0);
        ByteBuf composite = Unpooled.compositeBuffer().addComponents(true,
                Unpooled.directBuffer(4).writeInt(8), Unpooled.directBuffer(4).writeInt(0));

        channel.writeAndFlush(heap).sync();
        channel.writeAndFlush(composite).sync();
        assertThat(channel.writeAndFlush("not a packet").await().cause())
                .isInstanceOf(UnsupportedOperationException.class);

        List<Integer> received = new ArrayList<>();
        await().atMost(TIMEOUT).until(() -> {
            drain(peer, received, 8);
            return received.size() == 2;
        });
        assertThat(received).containsExactly(7, 8);
        assertThat(heap.refCnt()).isZero();
        assertThat(composite.refCnt()).isZero();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void aDirectCompositeGoesOutAsOnePacketWithWritevAndAHugeOneIsCopied() throws Exception {
        Socket device = udpOnLoopback();
        Socket peer = udpOnLoopback();
        device.connect(peer.localAddress());
        peers.add(peer);
        TunChannel channel = register(device, 1420, c -> { }, new PacketRecorder());
        ByteBuf header = PooledByteBufAllocator.DEFAULT.directBuffer(10).writeZero(10).setByte(0, 0x5a);
        ByteBuf first = PooledByteBufAllocator.DEFAULT.directBuffer(100).writeInt(1).writeZero(96);
        ByteBuf second = PooledByteBufAllocator.DEFAULT.directBuffer(1000).writeZero(996).writeInt(2);
        ByteBuf gathered = Unpooled.compositeBuffer(3).addComponents(true, header, first, second);
        assertThat(gathered.nioBufferCount()).isEqualTo(3);
        ByteBuf many = Unpooled.compositeBuffer(2000);
        for (int i = 0; i < 1100; i++) { // more parts than IOV_MAX (1024): copied to one buffer
            ((io.netty.buffer.CompositeByteBuf) many).addComponent(true, Unpooled.directBuffer(4).writeInt(i));
        }

        channel.writeAndFlush(gathered).sync();
        channel.writeAndFlush(many).sync();

        ByteBuffer got = ByteBuffer.allocateDirect(8192);
        int[] lengths = new int[2];
        byte[][] datagrams = new byte[2][];
        for (int i = 0; i < 2; i++) {
            int index = i;
            await().atMost(TIMEOUT).until(() -> (lengths[index] = peer.recv(got, 0, got.capacity())) > 0);
            datagrams[i] = new byte[lengths[i]];
            got.get(0, datagrams[i]);
        }
        assertThat(lengths).containsExactly(1110, 4400);
        ByteBuf one = Unpooled.wrappedBuffer(datagrams[0]);
        assertThat(one.getByte(0)).isEqualTo((byte) 0x5a);
        assertThat(one.getInt(10)).isEqualTo(1);
        assertThat(one.getInt(1106)).isEqualTo(2);
        ByteBuf two = Unpooled.wrappedBuffer(datagrams[1]);
        assertThat(two.getInt(0)).isZero();
        assertThat(two.getInt(4396)).isEqualTo(1099);
        assertThat(gathered.refCnt()).isZero();
        assertThat(many.refCnt()).isZero();
        assertThat(channel.writeErrors()).isZero();
    }

    @Test
    void closeFromAnotherThreadReleasesQueuedPacketsAndTheFd(@TempDir Path dir) throws Exception {
        Socket device = unixDgram(dir, "device");
        Socket peer = unixDgram(dir, "peer");
        device.connect(new DomainSocketAddress(dir.resolve("peer").toString()));
        TunChannel channel = register(device, 1420, c -> { }, new PacketRecorder());
        List<ByteBuf> sent = new ArrayList<>();
        List<ChannelFuture> writes = new ArrayList<>();
        loop.submit(() -> {
            for (int i = 0; i < 200; i++) {
                ByteBuf packet = PooledByteBufAllocator.DEFAULT.directBuffer(1000).writeInt(i).writeZero(996);
                sent.add(packet);
                writes.add(channel.writeAndFlush(packet));
            }
        }).sync();
        assertThat(channel.unsafe().outboundBuffer().size()).as("some packets wait for EPOLLOUT").isPositive();

        channel.close().sync();
        channel.close().sync();

        assertThat(channel.isOpen()).isFalse();
        assertThat(channel.closeFuture().isSuccess()).isTrue();
        assertThat(device.isOpen()).isFalse();
        await().atMost(TIMEOUT).until(() -> sent.stream().allMatch(b -> b.refCnt() == 0));
        assertThat(writes).anyMatch(f -> f.cause() != null, "queued writes fail with the close");
        assertThat(channel.writeAndFlush(Unpooled.directBuffer(4).writeInt(1)).await().isSuccess()).isFalse();
    }

    @Test
    void endOfFileClosesTheChannel() throws Exception {
        FileDescriptor[] pipe = FileDescriptor.pipe();
        TunChannel channel = TunChannel.wrap("pipe0", DeviceMode.TUN, 1420, pipe[0]);
        channels.add(channel);
        loop.register(channel).sync();
        assertThat(channel.isActive()).isTrue();

        pipe[1].close();

        assertThat(channel.closeFuture().await(TIMEOUT.toMillis())).isTrue();
        assertThat(pipe[0].isOpen()).isFalse();
    }

    @Test
    void shuttingTheLoopDownClosesTheChannel() throws Exception {
        MultiThreadIoEventLoopGroup own = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        Socket device = udpOnLoopback();
        TunChannel channel = TunChannel.wrap("sock0", DeviceMode.TUN, 1420, device);
        EventLoop ownLoop = own.next();
        ownLoop.register(channel).sync();

        // A quiet period above 0: with 0, Netty 4.2's loop can finish without closing its handles.
        own.shutdownGracefully(50, 1000, TimeUnit.MILLISECONDS).sync();

        assertThat(channel.closeFuture().await(TIMEOUT.toMillis())).isTrue();
        assertThat(device.isOpen()).isFalse();
    }

    @Test
    void aNonEpollLoopIsRefusedAndTheChannelCanStillBeClosed() throws Exception {
        MultiThreadIoEventLoopGroup local = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
        try {
            Socket device = udpOnLoopback();
            TunChannel channel = TunChannel.wrap("sock0", DeviceMode.TUN, 1420, device);
            EventLoop other = local.next();

            ChannelFuture registered = other.register(channel).await();

            assertThat(registered.cause()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("incompatible event loop");
            assertThat(channel.isRegistered()).isFalse();
            channel.unsafe().closeForcibly();
            assertThat(device.isOpen()).isFalse();
        } finally {
            local.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void badMtusAndNamesAreRefusedBeforeAnySystemCall() {
        assertThatThrownBy(() -> TunChannel.open("way-too-long-name", DeviceMode.TUN, 1420))
                .isInstanceOf(TunException.class).hasMessageContaining("longer than 15");
        assertThatThrownBy(() -> TunChannel.open("tc-x", DeviceMode.TUN, 67))
                .isInstanceOf(TunException.class).hasMessage("invalid MTU 67 for device 'tc-x': must be 68..65535");
    }

    private TunChannel register(FileDescriptor fd, int mtu, Consumer<TunChannel> configure, PacketRecorder recorder)
            throws Exception {
        return register(fd, DeviceMode.TUN, mtu, configure, recorder);
    }

    private TunChannel register(FileDescriptor fd, DeviceMode mode, int mtu, Consumer<TunChannel> configure,
            PacketRecorder recorder) throws Exception {
        TunChannel channel = TunChannel.wrap("sock0", mode, mtu, fd);
        channels.add(channel);
        configure.accept(channel);
        channel.pipeline().addLast(recorder);
        loop.register(channel).sync();
        return channel;
    }

    /** Lets the loop run a few turns: any armed, ready fd is handled in them. */
    private static void turnLoop() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            loop.submit(() -> { }).sync();
        }
    }

    private Socket connectedPeer(Socket device) throws IOException {
        Socket peer = udpOnLoopback();
        peer.connect(device.localAddress());
        peers.add(peer);
        return peer;
    }

    private Socket unixDgram(Path dir, String name) throws IOException {
        Socket socket = Socket.newSocketDomainDgram();
        socket.bind(new DomainSocketAddress(dir.resolve(name).toString()));
        if (!name.equals("device")) {
            peers.add(socket);
        }
        return socket;
    }

    private static Socket udpOnLoopback() throws IOException {
        Socket socket = Socket.newSocketDgram();
        socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        return socket;
    }

    private static void send(Socket peer, int first, int length) throws IOException {
        ByteBuffer datagram = ByteBuffer.allocateDirect(length).putInt(0, first);
        assertThat(peer.send(datagram, 0, length)).isEqualTo(length);
    }

    private static void drain(Socket peer, List<Integer> received, int expectedLength) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(2048);
        int n;
        while ((n = peer.recv(buffer, 0, buffer.capacity())) > 0) {
            assertThat(n).isEqualTo(expectedLength);
            received.add(buffer.getInt(0));
        }
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> list = new ArrayList<>();
        for (int i = from; i < to; i++) {
            list.add(i);
        }
        return list;
    }
}
