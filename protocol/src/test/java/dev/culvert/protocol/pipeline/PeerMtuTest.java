package dev.culvert.protocol.pipeline;

import dev.culvert.protocol.testing.Packets;
import dev.culvert.protocol.testing.PipelineLink;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Peers with different device MTUs (issue 13, item 1): wireguard-go at 1500 or 8920 beside Culvert at
 * 1420. The larger side's full-size packets reach the smaller side whole, are opened (authentic), and are
 * handed to the device whole, as WireGuard does: the MTU limits what a device sends, not what it takes
 * (a Linux tun at 1420 takes a 3000-byte packet written to it, and the host's reply is fragmented to
 * its MTU). Never cut off, never counted as {@code decrypt_failed}.
 */
class PeerMtuTest {
    @ParameterizedTest
    @ValueSource(ints = {1500, 8920})
    void aPacketLargerThanTheLocalMtuReachesTheDeviceWhole(int peerMtu) {
        try (PipelineLink link = new PipelineLink(peerMtu, 1420)) {
            link.establish();
            link.a.fromDevice(Packets.ipv4("198.18.0.1", "198.18.0.2", peerMtu));
            link.a.fromDevice(Packets.ipv4("198.18.0.1", "198.18.0.2", 1420));
            link.pump();
            ByteBuf big = link.b.toDevice();
            assertThat(big).as("the packet larger than the local MTU").isNotNull();
            assertThat(big.readableBytes()).isEqualTo(peerMtu);
            big.release();
            ByteBuf fits = link.b.toDevice();
            assertThat(fits).as("the packet that fits the local MTU").isNotNull();
            assertThat(fits.readableBytes()).isEqualTo(1420);
            fits.release();
            assertThat(link.b.peer.counters().totalDrops()).isZero();
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
