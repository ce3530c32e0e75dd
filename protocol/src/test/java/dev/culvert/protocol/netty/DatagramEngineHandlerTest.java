package dev.culvert.protocol.netty;

import dev.culvert.crypto.X25519;
import dev.culvert.protocol.Engine;
import dev.culvert.protocol.Limits;
import dev.culvert.protocol.Peer;
import dev.culvert.protocol.PeerOptions;
import dev.culvert.protocol.TimeSource;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.noise.RemoteStatic;
import dev.culvert.protocol.testing.MemoryLink;
import dev.culvert.protocol.wire.MessageType;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The UDP adapter on an EmbeddedChannel whose clock the test freezes and advances. */
class DatagramEngineHandlerTest {

    @Test
    void engineTicksOnTheChannelClockAndDatagramsFlowThroughTheChannel() throws Exception {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime();
        TimeSource time = new TimeSource() {
            @Override
            public long nanoTime() {
                return channel.eventLoop().ticker().nanoTime();
            }

            @Override
            public Clock wallClock() {
                return Clock.systemUTC();
            }
        };
        SecureRandom random = new SecureRandom();
        LocalStatic local = new LocalStatic(X25519.generatePrivateKey(random));
        LocalStatic remote = new LocalStatic(X25519.generatePrivateKey(random));
        ChannelOutbound outbound = new ChannelOutbound();
        Engine engine = new Engine(local, time, random, ByteBufAllocator.DEFAULT, outbound);
        Peer peer = engine.addPeer(new RemoteStatic(local, remote.publicKey(), null),
                new PeerOptions(MemoryLink.B_ADDR, 0, 1420, dev.culvert.protocol.InboundSink.of(p -> p.release())));
        channel.pipeline().addLast(new DatagramEngineHandler(engine, outbound, () -> { }));
        // the peer's timers run from its tunnel's pipeline; here, from the same channel's executor
        channel.eventLoop().scheduleAtFixedRate(peer::tick, 100, 100, TimeUnit.MILLISECONDS);

        channel.eventLoop().execute(() -> {
            peer.start();
            outbound.flush();
        });
        channel.runPendingTasks();
        DatagramPacket first = channel.readOutbound();
        assertThat(first).isNotNull();
        assertThat(first.recipient()).isEqualTo(MemoryLink.B_ADDR);
        assertThat(MessageType.of(first.content())).isEqualTo(MessageType.INITIATION);
        first.release();

        // No answer: the retransmit timer fires from the channel's scheduled tick after REKEY_TIMEOUT.
        channel.advanceTimeBy(5_000, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat((Object) channel.readOutbound()).isNull();
        channel.advanceTimeBy(400, TimeUnit.MILLISECONDS);
        List<DatagramPacket> out = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            channel.advanceTimeBy(Limits.TICK_NANOS, TimeUnit.NANOSECONDS);
            channel.runScheduledPendingTasks();
        }
        DatagramPacket p;
        while ((p = channel.readOutbound()) != null) {
            out.add(p);
        }
        assertThat(out).hasSize(1);
        out.forEach(DatagramPacket::release);

        // Junk through the pipeline is consumed (released) and answers nothing.
        DatagramPacket junk = new DatagramPacket(Unpooled.buffer(8).writeLong(42),
                new InetSocketAddress(0), new InetSocketAddress("192.0.2.9", 1));
        channel.writeInbound(junk);
        assertThat(junk.refCnt()).isZero();
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(engine.counters().totalDrops()).isEqualTo(1);
        channel.finishAndReleaseAll();
    }
}
