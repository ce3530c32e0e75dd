package dev.culvert.protocol.pipeline;

import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.testing.Packets;
import dev.culvert.protocol.testing.PipelineLink;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Peers with different device MTUs (issue 13, item 1): wireguard-go at 1500 or 8920 beside Culvert at
 * 1420. The larger side's full-size packets reach the smaller side whole, are opened (authentic), and are
 * then refused there as {@code too_big}: never cut off, never counted as {@code decrypt_failed}.
 */
class PeerMtuTest {
    @ParameterizedTest
    @ValueSource(ints = {1500, 8920})
    void aPacketLargerThanTheLocalMtuIsTooBigNotDecryptFailed(int peerMtu) {
        try (PipelineLink link = new PipelineLink(peerMtu, 1420)) {
            link.establish();
            link.a.fromDevice(Packets.ipv4("198.18.0.1", "198.18.0.2", peerMtu));
            link.a.fromDevice(Packets.ipv4("198.18.0.1", "198.18.0.2", 1420));
            link.pump();
            ByteBuf got = link.b.toDevice();
            assertThat(got).as("the packet that fits the local MTU").isNotNull();
            assertThat(got.readableBytes()).isEqualTo(1420);
            got.release();
            assertThat((Object) link.b.toDevice()).as("nothing larger than the MTU reaches the device").isNull();
            assertThat(link.b.peer.counters().drops(DropReason.TOO_BIG)).isEqualTo(1);
            assertThat(link.b.peer.counters().drops(DropReason.DECRYPT_FAILED)).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1500, 8920})
    void theSmallerSidesPacketsReachTheLargerSide(int peerMtu) {
        try (PipelineLink link = new PipelineLink(peerMtu, 1420)) {
            link.establish();
            link.b.fromDevice(Packets.ipv4("198.18.0.2", "198.18.0.1", 1420));
            link.pump();
            ByteBuf got = link.a.toDevice();
            assertThat(got).isNotNull();
            assertThat(got.readableBytes()).isEqualTo(1420);
            got.release();
            assertThat(link.a.peer.counters().totalDrops()).isZero();
        }
    }
}
