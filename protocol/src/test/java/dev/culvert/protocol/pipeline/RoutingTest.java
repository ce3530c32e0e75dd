package dev.culvert.protocol.pipeline;

import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.testing.Packets;
import dev.culvert.protocol.testing.PipelineLink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Cryptokey routing and size limits ({@link AllowedIpsHandler}) in a real tunnel pipeline. */
class RoutingTest {
    private final PipelineLink link = new PipelineLink();

    @AfterEach
    void release() {
        link.close();
    }

    @Test
    void aPacketCrossesAndItsPaddingIsTrimmed() {
        link.establish();
        link.a.fromDevice(Packets.ipv4("198.18.0.1", "198.18.0.2", 61)); // padded to 64 on the wire
        link.pump();
        ByteBuf got = link.b.toDevice();
        assertThat(got.readableBytes()).isEqualTo(61);
        got.release();
    }

    @Test
    void innerSourceOutsideAllowedIpsIsDroppedAndCounted() {
        link.establish();
        // b's routing allows a destination of 198.18.0.1 and does not look at the source: forge one a refuses
        link.b.fromDevice(Packets.ipv4("198.18.9.9", "198.18.0.1", 60));
        link.pump();
        assertThat((Object) link.a.toDevice()).isNull();
        assertThat(link.a.peer.counters().drops(DropReason.NOT_ALLOWED_SOURCE)).isEqualTo(1);
    }

    @Test
    void outboundToADestinationOutsideAllowedIpsIsNotSent() {
        link.a.fromDevice(Packets.ipv4("198.18.0.1", "198.18.5.5", 60));
        link.pump();
        assertThat(link.a.peer.counters().drops(DropReason.NO_ROUTE)).isEqualTo(1);
        assertThat(link.a.peer.counters().get(dev.culvert.protocol.Counters.Kind.HANDSHAKES_SENT)).isZero();
    }

    @Test
    void oversizedAndNonIpOutboundPacketsAreDropped() {
        link.a.fromDevice(Packets.ipv4("198.18.0.1", "198.18.0.2", 1421));
        link.a.fromDevice(Unpooled.wrappedBuffer(new byte[] {0x10, 1, 2, 3}));
        link.pump();
        assertThat(link.a.peer.counters().drops(DropReason.TOO_BIG)).isEqualTo(1);
        assertThat(link.a.peer.counters().drops(DropReason.MALFORMED)).isEqualTo(1);
        assertThat(link.a.peer.counters().get(dev.culvert.protocol.Counters.Kind.HANDSHAKES_SENT)).isZero();
    }

    @Test
    void keepaliveTimerRunsOnTheChannelsClock() {
        link.establish();
        link.a.fromDevice(Packets.ipv4("198.18.0.1", "198.18.0.2", 60));
        link.pump();
        link.b.toDevice().release();
        long keepalivesBefore = link.b.peer.counters().get(dev.culvert.protocol.Counters.Kind.TX_PACKETS);
        // b received data and sends nothing back: after KEEPALIVE_TIMEOUT (10 s) its timer sends a keepalive
        link.advance(9_900, java.util.concurrent.TimeUnit.MILLISECONDS);
        assertThat(link.b.peer.counters().get(dev.culvert.protocol.Counters.Kind.TX_PACKETS)).isEqualTo(keepalivesBefore);
        link.advance(300, java.util.concurrent.TimeUnit.MILLISECONDS);
        assertThat(link.b.peer.counters().get(dev.culvert.protocol.Counters.Kind.TX_PACKETS)).isEqualTo(keepalivesBefore + 1);
    }
}
