package dev.culvert.daemon.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.config.DeviceMode;
import dev.culvert.protocol.offload.DeviceOffloads;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalIoHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MemoryTunChannelTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final EventLoop loop = new DefaultEventLoop();
    private final PacketRecorder recorder = new PacketRecorder();
    private final MemoryTunChannel channel = new MemoryTunChannel();

    @AfterEach
    void tearDown() throws Exception {
        if (channel.isRegistered()) {
            channel.close().sync();
        }
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @Test
    void anInjectedPacketIsReadAfterTheHeadroomWithTheTailroomFree() throws Exception {
        channel.config().setOption(TunChannelOption.HEADROOM, 32);
        channel.config().setOption(TunChannelOption.TAILROOM, 16);
        register();

        channel.inject(packet(7, MemoryTunChannel.DEFAULT_MTU));

        await().atMost(TIMEOUT).until(() -> recorder.bursts.size() == 1);
        assertThat(recorder.packets).containsExactly(7);
        assertThat(recorder.readerIndexes).containsExactly(32);
        assertThat(recorder.lengths).containsExactly(MemoryTunChannel.DEFAULT_MTU);
        assertThat(recorder.freeAfter.get(0)).isGreaterThanOrEqualTo(16);
    }

    @Test
    void packetsComeInBurstsBoundedByMaxMessagesPerRead() throws Exception {
        channel.config().setMaxMessagesPerRead(2);
        List<ByteBuf> five = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            five.add(packet(i, 20));
        }
        channel.inject(five); // before registration: held until reading starts

        register();

        await().atMost(TIMEOUT).until(() -> recorder.packets.size() == 5);
        assertThat(recorder.packets).containsExactly(0, 1, 2, 3, 4);
        assertThat(recorder.bursts).containsExactly(2, 2, 1);
    }

    @Test
    void withAutoReadOffInjectedPacketsWaitAndEachReadBringsOneBurst() throws Exception {
        channel.config().setAutoRead(false);
        channel.config().setMaxMessagesPerRead(3);
        register();
        for (int i = 0; i < 7; i++) {
            channel.inject(packet(i, 20));
        }
        turnLoop();
        assertThat(recorder.packets).isEmpty();
        assertThat(channel.pendingInbound()).isEqualTo(7);

        channel.read();
        await().atMost(TIMEOUT).until(() -> recorder.bursts.size() == 1);
        turnLoop();
        assertThat(recorder.packets).containsExactly(0, 1, 2);

        channel.config().setAutoRead(true);
        await().atMost(TIMEOUT).until(() -> recorder.packets.size() == 7);
        assertThat(channel.pendingInbound()).isZero();
    }

    @Test
    void writabilityTurnsFalseWhileTheKernelRefusesWritesAndTrueWhenItTakesThemAgain() throws Exception {
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1024, 4096));
        register();
        channel.setKernelAccepting(false);
        List<ByteBuf> sent = new ArrayList<>();

        loop.submit(() -> {
            for (int i = 0; i < 20; i++) {
                ByteBuf p = packet(i, 500);
                sent.add(p);
                channel.write(p, channel.voidPromise());
            }
            channel.flush();
        }).sync();

        assertThat(channel.isWritable()).isFalse();
        await().atMost(TIMEOUT).until(() -> recorder.writability.equals(List.of(false)));
        assertThat(channel.written()).isEmpty();

        channel.setKernelAccepting(true);

        await().atMost(TIMEOUT).until(() -> recorder.writability.equals(List.of(false, true)));
        List<Integer> firstInts = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ByteBuf p = channel.written().poll(5, TimeUnit.SECONDS);
            firstInts.add(p.getInt(p.readerIndex()));
            p.release();
        }
        assertThat(firstInts).isEqualTo(range(20));
        assertThat(sent).allMatch(b -> b.refCnt() == 0);
    }

    @Test
    void aRefusedWriteIsCountedAndTheChannelStaysOpen() throws Exception {
        register();
        channel.refuseWhen(p -> p.readableBytes() > channel.mtu());
        ByteBuf tooBig = packet(1, 2000);

        channel.writeAndFlush(tooBig).sync();
        channel.writeAndFlush(packet(2, 100)).sync();

        assertThat(channel.writeErrors()).isEqualTo(1);
        assertThat(tooBig.refCnt()).isZero();
        ByteBuf taken = channel.written().poll(5, TimeUnit.SECONDS);
        assertThat(taken.getInt(taken.readerIndex())).isEqualTo(2);
        taken.release();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void anInjectedPacketLongerThanTheDeviceDeliversIsDroppedAndCounted() throws Exception {
        MemoryTunChannel tap = new MemoryTunChannel("mem1", DeviceMode.TAP, 1500);
        tap.pipeline().addLast(recorder);
        loop.register(tap).sync();
        ByteBuf tooLong = packet(1, TunChannel.MAX_MTU + TunChannel.TAP_LINK_HEADER + 1);

        tap.inject(tooLong);
        tap.inject(packet(2, 1500 + TunChannel.TAP_LINK_HEADER));

        await().atMost(TIMEOUT).until(() -> recorder.packets.size() == 1);
        assertThat(recorder.packets).containsExactly(2);
        assertThat(tap.oversizedReads()).isEqualTo(1);
        assertThat(tooLong.refCnt()).isZero();
        tap.close().sync();
    }

    @Test
    void withTheVirtioHeaderTheTwinDeliversSuperPacketsInExactBuffersAndSaysSo() throws Exception {
        DeviceOffloads offloads = new DeviceOffloads(true, true, true, true, false, false);
        MemoryTunChannel twin = new MemoryTunChannel("mem2", DeviceMode.TUN, 1420, offloads);
        twin.config().setHeadroom(24).setTailroom(31);
        twin.pipeline().addLast(recorder);
        loop.register(twin).sync();
        ByteBuf tooLong = packet(1, 10 + 65535 + 1);

        twin.inject(tooLong);
        twin.inject(packet(2, 10 + 65535));
        twin.inject(packet(3, 10 + 60));

        await().atMost(TIMEOUT).until(() -> recorder.packets.size() == 2);
        assertThat(recorder.packets).containsExactly(2, 3);
        assertThat(recorder.readerIndexes).containsExactly(24, 24);
        assertThat(recorder.freeAfter).containsExactly(31, 31);
        assertThat(twin.oversizedReads()).isEqualTo(1);
        assertThat(twin.offloads()).isEqualTo(offloads);
        assertThat(TunDevice.offloadsOf(twin)).isEqualTo(offloads);
        assertThat(TunDevice.offloadsOf(channel)).isEqualTo(DeviceOffloads.NONE);
        assertThat(TunDevice.offloadsOf(new EmbeddedChannel())).isEqualTo(DeviceOffloads.NONE);
        twin.close().sync();
    }

    @Test
    void closeReleasesHeldInboundQueuedOutboundAndUntakenWrittenPackets() throws Exception {
        channel.config().setAutoRead(false);
        register();
        ByteBuf held = packet(1, 20);
        channel.inject(held);
        ByteBuf untaken = packet(2, 20);
        channel.writeAndFlush(untaken).sync();
        channel.setKernelAccepting(false);
        ByteBuf queued = packet(3, 20);
        channel.writeAndFlush(queued);

        channel.close().sync();
        channel.close().sync();

        assertThat(held.refCnt()).isZero();
        assertThat(untaken.refCnt()).isZero();
        assertThat(queued.refCnt()).isZero();
        ByteBuf late = packet(4, 20);
        channel.inject(late);
        assertThat(late.refCnt()).isZero();
        assertThat(channel.closeFuture().isDone()).isTrue();
    }

    @Test
    void runsOnAnEmbeddedChannelsLoop() {
        EmbeddedChannel embedded = new EmbeddedChannel();
        MemoryTunChannel onEmbedded = new MemoryTunChannel();
        onEmbedded.pipeline().addLast(recorder);
        embedded.eventLoop().register(onEmbedded);
        embedded.runPendingTasks();

        onEmbedded.inject(new byte[] {0, 0, 0, 9, 1, 2});
        embedded.runPendingTasks();

        assertThat(recorder.packets).containsExactly(9);
        assertThat(recorder.bursts).containsExactly(1);
        onEmbedded.close();
        embedded.runPendingTasks();
        assertThat(onEmbedded.isOpen()).isFalse();
        embedded.finishAndReleaseAll();
    }

    @Test
    void runsOnALocalIoHandlerLoop() throws Exception {
        MultiThreadIoEventLoopGroup local = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
        try {
            MemoryTunChannel onLocal = new MemoryTunChannel();
            onLocal.pipeline().addLast(recorder);
            EventLoop localLoop = local.next();
            localLoop.register(onLocal).sync();

            onLocal.inject(packet(5, 40));

            await().atMost(TIMEOUT).until(() -> recorder.packets.size() == 1);
            assertThat(recorder.packets).containsExactly(5);
            onLocal.close().sync();
        } finally {
            local.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private void register() throws InterruptedException {
        channel.pipeline().addLast(recorder);
        loop.register(channel).sync();
    }

    private void turnLoop() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            loop.submit(() -> { }).sync();
        }
    }

    private static ByteBuf packet(int first, int length) {
        return Unpooled.directBuffer(length).writeInt(first).writeZero(length - Integer.BYTES);
    }

    private static List<Integer> range(int to) {
        List<Integer> list = new ArrayList<>();
        for (int i = 0; i < to; i++) {
            list.add(i);
        }
        return list;
    }
}
