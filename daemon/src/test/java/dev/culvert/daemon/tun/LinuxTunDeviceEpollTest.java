package dev.culvert.daemon.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.config.DeviceMode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The epoll logic of {@link LinuxTunDevice} without root: the device is given a datagram socket
 * instead of a tun fd (both are non-blocking and keep packet boundaries). A loopback UDP socket
 * lets many packets queue up for one read; a Unix datagram socket whose receiver stops reading
 * pushes back with EAGAIN and later wakes the writer with EPOLLOUT, which a tun fd rarely does.
 */
class LinuxTunDeviceEpollTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static MultiThreadIoEventLoopGroup group;
    private static IoEventLoop loop;

    @BeforeAll
    static void startLoop() {
        Epoll.ensureAvailability();
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        loop = (IoEventLoop) group.next();
    }

    @AfterAll
    static void stopLoop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void readsInBurstsOfAtMost64WithReadCompleteAfterEach() throws Exception {
        Socket deviceSocket = udpOnLoopback();
        Socket peer = udpOnLoopback();
        peer.connect(deviceSocket.localAddress());
        int count = 150;
        for (int i = 0; i < count; i++) {
            ByteBuffer datagram = ByteBuffer.allocateDirect(Integer.BYTES).putInt(0, i);
            assertThat(peer.send(datagram, 0, Integer.BYTES)).isEqualTo(Integer.BYTES);
        }
        LinuxTunDevice device = wrap(deviceSocket, 1420, new WriteQueue(16, 1 << 20));
        RecordingSink sink = new RecordingSink();
        try {
            loop.submit(() -> device.start(sink)).sync();

            await().atMost(TIMEOUT).until(() -> sink.packets.size() == count);
            await().atMost(TIMEOUT).until(() -> sink.bursts.size() == 3);
            assertThat(sink.bursts).containsExactly(64, 64, 22);
            assertThat(sink.packets).isEqualTo(range(0, count));
        } finally {
            device.close();
            peer.close();
        }
    }

    @Test
    void aReadThatFillsTheWholeBufferIsDroppedAsPossiblyTruncated() throws Exception {
        Socket deviceSocket = udpOnLoopback();
        Socket peer = udpOnLoopback();
        peer.connect(deviceSocket.localAddress());
        int mtu = LinuxTunDevice.MIN_MTU;
        int capacity = mtu + LinuxTunDevice.LINK_HEADROOM;
        ByteBuffer tooBig = ByteBuffer.allocateDirect(capacity + 50).putInt(0, 1);
        ByteBuffer fits = ByteBuffer.allocateDirect(capacity - 1).putInt(0, 2);
        peer.send(tooBig, 0, tooBig.capacity());
        peer.send(fits, 0, fits.capacity());
        LinuxTunDevice device = wrap(deviceSocket, mtu, new WriteQueue(16, 1 << 20));
        RecordingSink sink = new RecordingSink();
        try {
            loop.submit(() -> device.start(sink)).sync();

            await().atMost(TIMEOUT).until(() -> sink.packets.size() == 1);
            assertThat(sink.packets).containsExactly(2);
            assertThat(device.oversizedReads()).isEqualTo(1);
        } finally {
            device.close();
            peer.close();
        }
    }

    @Test
    void writesThatMeetEagainAreQueuedBoundedAndFlushedInOrderOnEpollout(@TempDir Path dir) throws Exception {
        Socket deviceSocket = Socket.newSocketDomainDgram();
        deviceSocket.bind(new DomainSocketAddress(dir.resolve("device").toString()));
        Socket peer = Socket.newSocketDomainDgram();
        DomainSocketAddress peerAddress = new DomainSocketAddress(dir.resolve("peer").toString());
        peer.bind(peerAddress);
        deviceSocket.connect(peerAddress); // the peer stays unconnected, so the kernel wakes us with EPOLLOUT
        int queueBound = 20;
        int written = 60;
        LinuxTunDevice device = wrap(deviceSocket, 1420, new WriteQueue(queueBound, 1 << 20));
        List<ByteBuf> sent = new ArrayList<>();
        try {
            loop.submit(() -> {
                for (int i = 0; i < written; i++) {
                    ByteBuf packet = PooledByteBufAllocator.DEFAULT.directBuffer(64).writeInt(i).writeZero(60);
                    sent.add(packet);
                    device.write(packet);
                }
            }).sync();

            assertThat(device.queuedWrites()).as("the peer stopped reading, so the queue filled").isEqualTo(queueBound);
            long dropped = device.drops();
            assertThat(dropped).isPositive();
            int expected = (int) (written - dropped);

            List<Integer> received = new ArrayList<>();
            await().atMost(TIMEOUT).until(() -> {
                drain(peer, received);
                return received.size() >= expected && device.queuedWrites() == 0;
            });
            drain(peer, received);
            assertThat(received).as("everything not dropped arrives, in order").isEqualTo(range(0, expected));
            assertThat(device.drops()).isEqualTo(dropped);
            assertThat(sent).allMatch(b -> b.refCnt() == 0, "every written buffer is released");
        } finally {
            device.close();
            peer.close();
        }
    }

    @Test
    void closeFromAnotherThreadReleasesQueuedPacketsAndCompletesTheCloseFuture(@TempDir Path dir) throws Exception {
        Socket deviceSocket = Socket.newSocketDomainDgram();
        deviceSocket.bind(new DomainSocketAddress(dir.resolve("device").toString()));
        Socket peer = Socket.newSocketDomainDgram();
        DomainSocketAddress peerAddress = new DomainSocketAddress(dir.resolve("peer").toString());
        peer.bind(peerAddress);
        deviceSocket.connect(peerAddress);
        LinuxTunDevice device = wrap(deviceSocket, 1420, new WriteQueue(1000, 1 << 20));
        List<ByteBuf> sent = new ArrayList<>();
        loop.submit(() -> {
            for (int i = 0; i < 40; i++) {
                ByteBuf packet = PooledByteBufAllocator.DEFAULT.directBuffer(64).writeInt(i);
                sent.add(packet);
                device.write(packet);
            }
        }).sync();
        int queued = device.queuedWrites();
        assertThat(queued).isPositive();

        device.close();
        device.close();

        assertThat(device.isOpen()).isFalse();
        assertThat(device.closeFuture().isSuccess()).isTrue();
        assertThat(sent).allMatch(b -> b.refCnt() == 0);
        assertThat(device.drops()).isEqualTo(queued);
        assertThat(deviceSocket.isOpen()).isFalse();
        peer.close();
    }

    private static LinuxTunDevice wrap(Socket socket, int mtu, WriteQueue queue) throws TunException {
        return LinuxTunDevice.wrap("sock0", DeviceMode.TUN, mtu, loop, PooledByteBufAllocator.DEFAULT, socket, queue);
    }

    private static Socket udpOnLoopback() throws IOException {
        Socket socket = Socket.newSocketDgram();
        socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        return socket;
    }

    private static void drain(Socket peer, List<Integer> received) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(2048);
        int n;
        while ((n = peer.recv(buffer, 0, buffer.capacity())) > 0) {
            assertThat(n).isEqualTo(64);
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

    /** Records the first int of each packet and the size of each burst. */
    private static final class RecordingSink implements TunPacketSink {
        final List<Integer> packets = new CopyOnWriteArrayList<>();
        final List<Integer> bursts = new CopyOnWriteArrayList<>();
        private int inBurst;

        @Override
        public void onPacket(ByteBuf packet) {
            packets.add(packet.getInt(packet.readerIndex()));
            inBurst++;
            packet.release();
        }

        @Override
        public void onReadComplete() {
            bursts.add(inBurst);
            inBurst = 0;
        }
    }
}
