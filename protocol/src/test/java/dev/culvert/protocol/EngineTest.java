package dev.culvert.protocol;

import dev.culvert.protocol.testing.MemoryLink;
import dev.culvert.protocol.testing.MemoryLink.Datagram;
import dev.culvert.protocol.testing.Packets;
import dev.culvert.protocol.wire.MessageType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Two engines over memory: handshake, data both ways, filtering, replay, roaming, junk. */
class EngineTest {
    private MemoryLink link;

    @AfterEach
    void release() {
        if (link != null) {
            link.releaseAll();
        }
    }

    /** Moves datagrams one at a time and records their types and sizes. */
    private List<String> pumpRecording() {
        List<String> seen = new ArrayList<>();
        Datagram d;
        while ((d = link.wire.poll()) != null) {
            seen.add(MessageType.of(d.data()) + ":" + d.data().readableBytes());
            link.deliver(d);
        }
        return seen;
    }

    @Test
    void firstPacketTriggersHandshakeThenArrivesAndTheReplyComesBack() {
        link = new MemoryLink();
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 84));
        List<String> seen = pumpRecording();
        // initiation 148, response 92, then the held packet: 84 padded to 96 + 32 overhead
        assertThat(seen).containsExactly("1:148", "2:92", "4:128");
        assertThat(link.b.delivered).hasSize(1);
        // the engine delivers the padded plaintext; the pipeline's routing handler trims it to the IP length
        assertThat(link.b.delivered.get(0).readableBytes()).isEqualTo(96);
        assertThat(link.b.delivered.get(0).getUnsignedShort(link.b.delivered.get(0).readerIndex() + 2)).isEqualTo(84);

        link.b.peer.send(Packets.ipv4("198.18.0.2", "198.18.0.1", 1420));
        assertThat(pumpRecording()).containsExactly("4:1452");
        assertThat(link.a.delivered).hasSize(1);
        assertThat(link.a.delivered.get(0).readableBytes()).isEqualTo(1420);
        assertThat(link.b.peer.endpoint()).isEqualTo(MemoryLink.A_ADDR);
        assertThat(link.a.peer.counters().get(Counters.Kind.HANDSHAKES_COMPLETED)).isEqualTo(1);
        assertThat(link.b.peer.counters().get(Counters.Kind.HANDSHAKES_COMPLETED)).isEqualTo(1);
    }

    @Test
    void startWithEndpointHandshakesAtOnceAndTheInitiatorConfirmsWithAKeepalive() {
        link = new MemoryLink();
        link.a.peer.start();
        assertThat(pumpRecording()).containsExactly("1:148", "2:92", "4:32");
        assertThat(link.a.peer.hasSession()).isTrue();
        assertThat(link.b.peer.hasSession()).isTrue();
        assertThat(link.b.delivered).isEmpty();
    }

    @Test
    void responderWithoutEndpointHoldsItsPacketsUntilThePeerCallsIn() {
        link = new MemoryLink();
        link.b.peer.send(Packets.ipv4("198.18.0.2", "198.18.0.1", 60));
        assertThat(link.wire).isEmpty();
        link.a.peer.start();
        link.pump();
        assertThat(link.a.delivered).hasSize(1);
    }

    @Test
    void mismatchedPresharedKeysNeverEstablishASession() {
        byte[] psk1 = new byte[32];
        byte[] psk2 = new byte[32];
        psk2[0] = 1;
        link = new MemoryLink(psk1, psk2, 0, true, Integer.MAX_VALUE);
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 60));
        List<String> seen = pumpRecording();
        // b can read a's initiation (the psk enters after), answers, but a cannot authenticate the answer
        assertThat(seen).containsExactly("1:148", "2:92");
        assertThat(link.a.peer.hasSession()).isFalse();
        assertThat(link.a.peer.counters().drops(DropReason.DECRYPT_FAILED)).isEqualTo(1);
        assertThat(link.b.delivered).isEmpty();
    }

    @Test
    void replayedTransportMessageIsDropped() {
        link = new MemoryLink();
        link.a.peer.start();
        link.pump();
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 60));
        Datagram d = link.wire.poll();
        ByteBuf copy = d.data().copy();
        link.deliver(d);
        link.deliver(new Datagram(copy, d.from(), d.to()));
        assertThat(link.b.delivered).hasSize(1);
        assertThat(link.b.peer.counters().drops(DropReason.REPLAY)).isEqualTo(1);
    }

    @Test
    void replayedInitiationGetsNoResponse() {
        link = new MemoryLink();
        link.a.peer.start();
        Datagram initiation = link.wire.poll();
        ByteBuf copy = initiation.data().copy();
        link.deliver(initiation);
        link.pump();
        link.time.advance(Duration.ofSeconds(1));
        link.deliver(new Datagram(copy, initiation.from(), initiation.to()));
        assertThat(link.wire).isEmpty();
        assertThat(link.b.peer.counters().drops(DropReason.REPLAY)).isEqualTo(1);
    }

    @Test
    void tamperedTransportMessageFailsAuthentication() {
        link = new MemoryLink();
        link.a.peer.start();
        link.pump();
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 60));
        Datagram d = link.wire.poll();
        d.data().setByte(40, d.data().getByte(40) ^ 1);
        link.deliver(d);
        assertThat(link.b.delivered).isEmpty();
        assertThat(link.b.peer.counters().drops(DropReason.DECRYPT_FAILED)).isEqualTo(1);
        // and the session lives on
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 60));
        link.pump();
        assertThat(link.b.delivered).hasSize(1);
    }

    @Test
    void junkGetsNoAnswerAndIsCounted() {
        link = new MemoryLink();
        InetSocketAddress stranger = new InetSocketAddress(MemoryLink.A_ADDR.getAddress(), 9999);
        byte[][] junk = {
            {}, {1}, {1, 0, 0, 0}, new byte[148], new byte[92], new byte[64], new byte[31], new byte[1500],
            {9, 0, 0, 0, 1, 2, 3}, {1, 1, 0, 0},
        };
        junk[3][0] = 1; // initiation-sized, bad mac1
        junk[4][0] = 2;
        junk[5][0] = 3;
        junk[6][0] = 4;
        junk[7][0] = 4;
        for (byte[] j : junk) {
            ByteBuf buf = Unpooled.buffer(j.length).writeBytes(j);
            link.b.engine.receive(buf, stranger);
            assertThat(buf.refCnt()).as("released").isZero();
        }
        assertThat(link.wire).isEmpty();
        Counters c = link.b.engine.counters();
        assertThat(c.totalDrops()).isEqualTo(junk.length);
        assertThat(c.drops(DropReason.BAD_MAC)).isEqualTo(2);
        // a real handshake still works afterwards
        link.a.peer.start();
        link.pump();
        assertThat(link.b.peer.hasSession()).isTrue();
    }

    @Test
    void endpointRoamsToTheSourceOfTheLastAuthenticatedPacket() {
        link = new MemoryLink();
        link.a.peer.start();
        link.pump();
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 60));
        Datagram d = link.wire.poll();
        InetSocketAddress moved = new InetSocketAddress(MemoryLink.A_ADDR.getAddress(), 40000);
        link.deliver(new Datagram(d.data(), moved, d.to()));
        assertThat(link.b.peer.endpoint()).isEqualTo(moved);
        // an unauthenticated packet from elsewhere does not move it
        ByteBuf forged = d.data().alloc().buffer(64).writeIntLE(4).writeIntLE(0).writeZero(56);
        link.b.engine.receive(forged, new InetSocketAddress(MemoryLink.A_ADDR.getAddress(), 1));
        assertThat(link.b.peer.endpoint()).isEqualTo(moved);
    }

    @Test
    void aNewPathHandshakesAgainEvenWithASession() {
        link = new MemoryLink();
        link.a.peer.start();
        link.pump();
        assertThat(link.a.peer.hasSession()).isTrue();
        // a TCP redial to a server that restarted: its keys are gone, so a keepalive under ours would be dropped
        link.time.advance(java.time.Duration.ofSeconds(1));
        link.a.peer.transportReady();
        assertThat(link.wire).hasSize(1);
        assertThat(MessageType.of(link.wire.peek().data())).isEqualTo(MessageType.INITIATION);
        link.pump();
        assertThat(link.a.peer.counters().get(Counters.Kind.HANDSHAKES_COMPLETED)).isEqualTo(2);
    }
}
