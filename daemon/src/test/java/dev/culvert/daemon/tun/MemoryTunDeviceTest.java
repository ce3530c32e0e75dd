package dev.culvert.daemon.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.culvert.config.DeviceMode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MemoryTunDeviceTest {

    private final EventLoop loop = new DefaultEventLoop();
    private final MemoryTunDevice device = new MemoryTunDevice(loop);
    private final RecordingSink sink = new RecordingSink();

    @AfterEach
    void tearDown() throws Exception {
        device.close();
        sink.releaseAll();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @Test
    void injectedPacketReachesSinkFollowedByReadComplete() {
        start();
        device.inject(packet("a"));

        await().atMost(Duration.ofSeconds(5)).until(() -> sink.events.size() == 2);
        assertThat(sink.events).containsExactly("packet:a", "complete");
    }

    @Test
    void burstIsDeliveredInOrderWithOneReadComplete() {
        start();
        device.inject(List.of(packet("a"), packet("b"), packet("c")));

        await().atMost(Duration.ofSeconds(5)).until(() -> sink.events.size() == 4);
        assertThat(sink.events).containsExactly("packet:a", "packet:b", "packet:c", "complete");
    }

    @Test
    void packetsInjectedBeforeStartAreHeldUntilStart() throws Exception {
        device.inject(packet("early"));
        loop.submit(() -> { }).sync(); // the inject task has run
        assertThat(sink.events).isEmpty();

        start();
        assertThat(sink.events).containsExactly("packet:early", "complete");
    }

    @Test
    void writesAreQueuedForTheTestToTake() throws Exception {
        ByteBuf out = packet("out");
        loop.submit(() -> device.write(out)).sync();

        ByteBuf taken = device.written().poll(5, TimeUnit.SECONDS);
        assertThat(taken).isSameAs(out);
        assertThat(taken.toString(StandardCharsets.US_ASCII)).isEqualTo("out");
        taken.release();
        assertThat(device.drops()).isZero();
    }

    @Test
    void writesBeyondCapacityAreDroppedReleasedAndCounted() throws Exception {
        MemoryTunDevice small = new MemoryTunDevice("mem1", DeviceMode.TAP, 1500, loop, 1);
        ByteBuf first = packet("1");
        ByteBuf second = packet("2");
        loop.submit(() -> {
            small.write(first);
            small.write(second);
        }).sync();

        assertThat(small.drops()).isEqualTo(1);
        assertThat(second.refCnt()).isZero();
        small.close();
        assertThat(first.refCnt()).as("close releases what the test did not take").isZero();
    }

    @Test
    void startAndWriteOffTheLoopAreRejected() {
        ByteBuf out = packet("x");
        assertThatThrownBy(() -> device.write(out)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("event loop");
        assertThat(out.refCnt()).isZero();
        assertThatThrownBy(() -> device.start(sink)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void startingTwiceIsAnError() throws Exception {
        start();
        Throwable thrown = loop.submit(() -> device.start(sink)).await().cause();
        assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessageContaining("already started");
    }

    @Test
    void closeIsIdempotentAndReleasesLaterTraffic() throws Exception {
        ByteBuf held = packet("held");
        device.inject(held);
        device.close();
        device.close();
        assertThat(device.isClosed()).isTrue();
        assertThat(held.refCnt()).isZero();

        ByteBuf late = packet("late");
        device.inject(late);
        ByteBuf lateWrite = packet("late-write");
        loop.submit(() -> device.write(lateWrite)).sync();
        assertThat(late.refCnt()).isZero();
        assertThat(lateWrite.refCnt()).isZero();
        assertThat(device.drops()).isEqualTo(1);
    }

    @Test
    void reportsItsProperties() {
        assertThat(device.name()).isEqualTo(MemoryTunDevice.DEFAULT_NAME);
        assertThat(device.mode()).isEqualTo(DeviceMode.TUN);
        assertThat(device.mtu()).isEqualTo(MemoryTunDevice.DEFAULT_MTU);
        assertThat(device.eventLoop()).isSameAs(loop);
    }

    private void start() {
        try {
            loop.submit(() -> device.start(sink)).sync();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static ByteBuf packet(String text) {
        return Unpooled.directBuffer().writeBytes(text.getBytes(StandardCharsets.US_ASCII));
    }

    /** Records what the device delivered, as strings, and keeps the buffers to release them. */
    static final class RecordingSink implements TunPacketSink {
        final List<String> events = new CopyOnWriteArrayList<>();
        final List<ByteBuf> packets = new CopyOnWriteArrayList<>();

        @Override
        public void onPacket(ByteBuf packet) {
            packets.add(packet);
            events.add("packet:" + packet.toString(StandardCharsets.US_ASCII));
        }

        @Override
        public void onReadComplete() {
            events.add("complete");
        }

        void releaseAll() {
            packets.forEach(p -> {
                if (p.refCnt() > 0) {
                    p.release();
                }
            });
        }
    }
}
