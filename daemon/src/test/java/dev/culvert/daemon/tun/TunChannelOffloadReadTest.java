package dev.culvert.daemon.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.config.DeviceMode;
import dev.culvert.protocol.offload.DeviceOffloads;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.Socket;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TunChannel}'s reads when its buffers are big (the virtio-net header's 64 KB window, or a huge MTU),
 * without root: a Unix datagram socket stands in for the tun fd (it carries datagrams up to the send buffer,
 * past UDP's 65507 bytes).
 */
class TunChannelOffloadReadTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final DeviceOffloads OFFLOADS = new DeviceOffloads(true, true, true, true, true, true);
    private static final int HEADROOM = 24;
    private static final int TAILROOM = 31;
    private static ResourceLeakDetector.Level previousLeakLevel;
    private static MultiThreadIoEventLoopGroup group;
    private static EventLoop loop;

    private final List<Socket> sockets = new ArrayList<>();
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
        for (Socket socket : sockets) {
            socket.close();
        }
    }

    @Test
    void theReadWindowIsA64KbPacketWhateverTheMtu() throws Exception {
        assertThat(TunChannel.maxPacketLength(DeviceMode.TUN, 1420, true)).isEqualTo(10 + 65535);
        assertThat(TunChannel.maxPacketLength(DeviceMode.TAP, 1420, true)).isEqualTo(10 + 65535 + 18);
        // Without offloads too (issue 13): the device MTU may be raised under us (ip link, a reload).
        assertThat(TunChannel.maxPacketLength(DeviceMode.TUN, 1420, false)).isEqualTo(65535);
        assertThat(TunChannel.maxPacketLength(DeviceMode.TAP, 9000, false)).isEqualTo(65535 + 18);
    }

    @Test
    void withTheHeaderSmallReadsGetExactBuffersBigOnesTheWholeScratchAndTooBigOnesAreDropped(@TempDir Path dir)
            throws Exception {
        Socket device = unixDgram(dir, "device");
        Socket peer = peerOf(dir, device);
        int max = 10 + 65535;
        int[] sizes = {10 + 60, 10 + 1420, 10 + 40000, max, max + 1, 10 + 100};
        for (int i = 0; i < sizes.length; i++) {
            send(peer, i, sizes[i]);
        }
        PacketRecorder recorder = new PacketRecorder();
        CountingAllocator counting = new CountingAllocator();

        TunChannel channel = register(device, DeviceMode.TUN, 1420, OFFLOADS, counting, recorder);

        await().atMost(TIMEOUT).until(() -> recorder.packets.size() == 5);
        assertThat(channel.oversizedReads()).as("a read that fills the window may be truncated").isEqualTo(1);
        assertThat(recorder.packets).containsExactly(0, 1, 2, 3, 5);
        assertThat(recorder.lastInts).as("content intact, end to end").containsExactly(~0, ~1, ~2, ~3, ~5);
        assertThat(recorder.lengths).containsExactly(70, 1430, 40010, max, 110);
        assertThat(recorder.readerIndexes).as("the header sits at the headroom").containsOnly(HEADROOM);
        assertThat(recorder.freeAfter.get(0)).as("copied: exactly the tailroom after it").isEqualTo(TAILROOM);
        assertThat(recorder.freeAfter.get(1)).isEqualTo(TAILROOM);
        assertThat(recorder.freeAfter.get(4)).isEqualTo(TAILROOM);
        assertThat(recorder.freeAfter.get(2)).as("handed over: the rest of the window after it")
                .isEqualTo(max - 40010 + TAILROOM);
        assertThat(recorder.freeAfter.get(3)).isGreaterThanOrEqualTo(TAILROOM);
        assertThat(channel.offloads()).isEqualTo(OFFLOADS);
        // One scratch buffer for the first reads; each super-packet took it and left a new one for the next read.
        assertThat(counting.capacities.stream().filter(c -> c > TunChannel.COPY_LIMIT).count()).isEqualTo(3);
        assertThat(counting.capacities.stream().filter(c -> c <= TunChannel.COPY_LIMIT))
                .containsExactly(HEADROOM + 70 + TAILROOM, HEADROOM + 1430 + TAILROOM, HEADROOM + 110 + TAILROOM);

        channel.close().sync();
        await().atMost(TIMEOUT).until(() -> counting.buffers.stream().allMatch(b -> b.refCnt() == 0));
    }

    @Test
    void aTapDeviceWithTheHeaderReadsAnEthernetHeaderMore(@TempDir Path dir) throws Exception {
        Socket device = unixDgram(dir, "device");
        Socket peer = peerOf(dir, device);
        int max = 10 + 65535 + 18;
        send(peer, 1, max);
        send(peer, 2, max + 1);
        send(peer, 3, 10 + 60);
        PacketRecorder recorder = new PacketRecorder();

        TunChannel channel = register(device, DeviceMode.TAP, 1420, OFFLOADS, PooledByteBufAllocator.DEFAULT,
                recorder);

        await().atMost(TIMEOUT).until(() -> recorder.packets.size() == 2);
        assertThat(recorder.packets).containsExactly(1, 3);
        assertThat(recorder.lengths).containsExactly(max, 70);
        assertThat(channel.oversizedReads()).isEqualTo(1);
        assertThat(channel.maxPacketLength()).isEqualTo(max);
    }

    @Test
    void plainPacketsOfAHugeMtuAlsoGoThroughTheScratchAndKeepTheirWindow(@TempDir Path dir) throws Exception {
        Socket device = unixDgram(dir, "device");
        Socket peer = peerOf(dir, device);
        int mtu = 60000;
        send(peer, 1, 100);
        send(peer, 2, TunChannel.MAX_MTU + 1); // fills the window: possibly truncated
        send(peer, 3, mtu);
        PacketRecorder recorder = new PacketRecorder();

        TunChannel channel = register(device, DeviceMode.TUN, mtu, DeviceOffloads.NONE,
                PooledByteBufAllocator.DEFAULT, recorder);

        await().atMost(TIMEOUT).until(() -> recorder.packets.size() == 2);
        assertThat(recorder.packets).containsExactly(1, 3);
        assertThat(recorder.lengths).containsExactly(100, mtu);
        assertThat(recorder.freeAfter.get(0)).isEqualTo(TAILROOM);
        assertThat(recorder.freeAfter.get(1)).isGreaterThanOrEqualTo(TAILROOM);
        assertThat(channel.oversizedReads()).isEqualTo(1);
        assertThat(channel.offloads()).isEqualTo(DeviceOffloads.NONE);
    }

    private TunChannel register(Socket fd, DeviceMode mode, int mtu, DeviceOffloads offloads,
            io.netty.buffer.ByteBufAllocator alloc, PacketRecorder recorder) throws Exception {
        TunChannel channel = TunChannel.wrap("sock0", mode, mtu, fd, offloads);
        channels.add(channel);
        channel.config().setHeadroom(HEADROOM).setTailroom(TAILROOM).setAllocator(alloc);
        channel.pipeline().addLast(recorder);
        loop.register(channel).sync();
        return channel;
    }

    private Socket unixDgram(Path dir, String name) throws IOException {
        Socket socket = Socket.newSocketDomainDgram();
        socket.bind(new DomainSocketAddress(dir.resolve(name).toString()));
        if (!name.equals("device")) {
            sockets.add(socket);
        }
        return socket;
    }

    private Socket peerOf(Path dir, Socket device) throws IOException {
        Socket peer = unixDgram(dir, "peer");
        peer.setSendBufferSize(1024 * 1024); // room for several 64 KB datagrams queued at once
        peer.connect(new DomainSocketAddress(dir.resolve("device").toString()));
        return peer;
    }

    /** A datagram of {@code length} bytes starting with the int {@code first} and ending with {@code ~first}. */
    private static void send(Socket peer, int first, int length) throws IOException {
        ByteBuffer datagram = ByteBuffer.allocateDirect(length).putInt(0, first).putInt(length - 4, ~first);
        assertThat(peer.send(datagram, 0, length)).isEqualTo(length);
    }

    /** Direct buffers from the pool, each one remembered with its capacity. */
    private static final class CountingAllocator extends AbstractByteBufAllocator {
        final List<ByteBuf> buffers = new CopyOnWriteArrayList<>();
        final List<Integer> capacities = new CopyOnWriteArrayList<>();

        CountingAllocator() {
            super(true);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            throw new UnsupportedOperationException("the tun channel reads into direct buffers");
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(initialCapacity, maxCapacity);
            buffers.add(buf);
            capacities.add(initialCapacity);
            return buf;
        }

        @Override
        public boolean isDirectBufferPooled() {
            return true;
        }
    }
}
