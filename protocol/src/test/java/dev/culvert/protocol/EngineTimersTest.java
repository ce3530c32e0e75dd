package dev.culvert.protocol;

import dev.culvert.protocol.testing.MemoryLink;
import dev.culvert.protocol.testing.MemoryLink.Datagram;
import dev.culvert.protocol.testing.Packets;
import dev.culvert.protocol.wire.MessageType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The timers of whitepaper §6, with a frozen clock advanced by the test. */
class EngineTimersTest {
    private MemoryLink link;

    @AfterEach
    void release() {
        if (link != null) {
            link.releaseAll();
        }
    }

    private void advance(Duration d) {
        // tick at the engine's resolution so timers fire when they would in a real loop
        long steps = d.toNanos() / Limits.TICK_NANOS;
        for (long i = 0; i < steps; i++) {
            link.time.advance(Duration.ofNanos(Limits.TICK_NANOS));
            link.tick();
        }
    }

    private List<Integer> drainTypes() {
        List<Integer> types = new ArrayList<>();
        Datagram d;
        while ((d = link.wire.poll()) != null) {
            types.add(MessageType.of(d.data()) * 10_000 + d.data().readableBytes());
            link.deliver(d);
        }
        return types;
    }

    private void establish() {
        link.a.peer.start();
        link.pump();
        assertThat(link.b.peer.hasSession()).isTrue();
    }

    @Test
    void passiveKeepaliveTenSecondsAfterDataWithNothingToSayBack() {
        link = new MemoryLink();
        establish();
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 60));
        link.pump();
        advance(Duration.ofMillis(9_900));
        assertThat(link.wire).isEmpty();
        advance(Duration.ofMillis(200));
        assertThat(drainTypes()).containsExactly(40_032); // b's keepalive, 32 bytes
    }

    @Test
    void persistentKeepaliveEveryInterval() {
        link = new MemoryLink(null, null, Duration.ofSeconds(25).toNanos(), true, Integer.MAX_VALUE);
        establish();
        advance(Duration.ofSeconds(24));
        assertThat(link.wire).isEmpty();
        advance(Duration.ofSeconds(1));
        assertThat(drainTypes()).containsExactly(40_032);
        advance(Duration.ofSeconds(25));
        assertThat(drainTypes()).containsExactly(40_032);
    }

    /** Issue 11 item 8: a reload changes the interval of a live peer; the session stays. */
    @Test
    void persistentKeepaliveChangedLiveStartsOverWithTheNewIntervalAndKeepsTheSession() {
        link = new MemoryLink(null, null, Duration.ofSeconds(25).toNanos(), true, Integer.MAX_VALUE);
        establish();
        long handshakes = link.a.peer.counters().get(Counters.Kind.HANDSHAKES_SENT);
        long lastHandshake = link.a.peer.lastHandshakeEpochMillis();
        advance(Duration.ofSeconds(5));
        link.a.peer.setPersistentKeepalive(Duration.ofSeconds(10).toNanos());
        assertThat(link.a.peer.persistentKeepaliveNanos()).isEqualTo(Duration.ofSeconds(10).toNanos());
        advance(Duration.ofMillis(9_900));
        assertThat(link.wire).isEmpty();
        advance(Duration.ofMillis(200)); // 10 s after the change, not 25 s after the session
        assertThat(drainTypes()).containsExactly(40_032);
        advance(Duration.ofSeconds(10));
        assertThat(drainTypes()).containsExactly(40_032);

        link.a.peer.setPersistentKeepalive(0);
        advance(Duration.ofSeconds(60));
        assertThat(link.wire).as("off: no more keepalives").isEmpty();
        assertThat(link.a.peer.counters().get(Counters.Kind.HANDSHAKES_SENT)).isEqualTo(handshakes);
        assertThat(link.a.peer.lastHandshakeEpochMillis()).isEqualTo(lastHandshake);
        assertThat(link.a.peer.hasSession()).isTrue();
    }

    @Test
    void persistentKeepaliveTurnedOnLiveStartsFromTheChange() {
        link = new MemoryLink();
        establish();
        advance(Duration.ofSeconds(30));
        drainTypes();
        link.a.peer.setPersistentKeepalive(Duration.ofSeconds(10).toNanos());
        advance(Duration.ofMillis(9_900));
        assertThat(link.wire).isEmpty();
        advance(Duration.ofMillis(200));
        assertThat(drainTypes()).containsExactly(40_032);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> link.a.peer.setPersistentKeepalive(-1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** Issue 11 item 8: persist turned on by a reload keeps a peer retrying past REKEY_ATTEMPT_TIME. */
    @Test
    void persistTurnedOnLiveKeepsRetryingPastTheGiveUp() {
        link = new MemoryLink();
        link.a.peer.setPersist(true);
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 60));
        int initiations = 0;
        for (int i = 0; i < 60; i++) { // 5 minutes, everything lost
            advance(Duration.ofSeconds(5));
            while (!link.wire.isEmpty()) {
                link.wire.poll().data().release();
                initiations++;
            }
        }
        assertThat(initiations).isGreaterThan(Spec.MAX_TIMER_HANDSHAKES + 2);
        assertThat(link.a.peer.state()).isNotEqualTo(Peer.State.DOWN);
    }

    @Test
    void lostInitiationIsRetransmittedWithJitterThenGivenUp() {
        link = new MemoryLink();
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 60));
        link.wire.poll().data().release(); // lost
        advance(Duration.ofMillis(4_900));
        assertThat(link.wire).isEmpty();
        advance(Duration.ofMillis(600)); // 5 s + up to 334 ms of jitter
        assertThat(link.wire).hasSize(1);
        assertThat(MessageType.of(link.wire.peek().data())).isEqualTo(MessageType.INITIATION);
        link.wire.poll().data().release();
        int retransmits = 1;
        for (int i = 0; i < 30; i++) {
            advance(Duration.ofMillis(5_400));
            while (!link.wire.isEmpty()) {
                link.wire.poll().data().release();
                retransmits++;
            }
        }
        // one initial + MAX_TIMER_HANDSHAKES + 1 retries, then silence (whitepaper: give up after 90 s)
        assertThat(retransmits).isEqualTo(Spec.MAX_TIMER_HANDSHAKES + 1);
        assertThat(link.a.peer.counters().get(Counters.Kind.HANDSHAKES_FAILED)).isEqualTo(1);
    }

    @Test
    void retransmittedInitiationCompletesTheHandshakeAndDeliversHeldPackets() {
        link = new MemoryLink();
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 60));
        link.wire.poll().data().release();
        advance(Duration.ofMillis(5_400));
        link.pump();
        assertThat(link.b.delivered).hasSize(1);
    }

    @Test
    void initiatorRekeysAfterRekeyAfterTimeWhenSendingAndTrafficFlowsThroughout() {
        link = new MemoryLink();
        establish();
        long before = link.a.peer.counters().get(Counters.Kind.HANDSHAKES_SENT);
        for (int i = 0; i < 12; i++) {
            advance(Duration.ofSeconds(10));
            link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 60));
            link.b.peer.send(Packets.ipv4("198.18.0.2", "198.18.0.1", 60));
            link.pump();
        }
        assertThat(link.a.peer.counters().get(Counters.Kind.HANDSHAKES_SENT)).isEqualTo(before);
        advance(Duration.ofSeconds(1));
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 60));
        link.pump();
        assertThat(link.a.peer.counters().get(Counters.Kind.HANDSHAKES_SENT)).isEqualTo(before + 1);
        assertThat(link.b.delivered).hasSize(13);
        link.b.peer.send(Packets.ipv4("198.18.0.2", "198.18.0.1", 60));
        link.pump();
        assertThat(link.a.delivered).hasSize(13);
        assertThat(link.a.peer.counters().get(Counters.Kind.HANDSHAKES_COMPLETED)).isEqualTo(2);
    }

    @Test
    void keypairOlderThanRejectAfterTimeIsNotUsedAndAHandshakePrecedesTheData() {
        link = new MemoryLink();
        establish();
        // a idle and unreachable: drop everything for 181 s
        advance(Duration.ofSeconds(181));
        link.wire.forEach(d -> d.data().release());
        link.wire.clear();
        assertThat(link.b.peer.hasSession()).isFalse();
        link.b.peer.send(Packets.ipv4("198.18.0.2", "198.18.0.1", 60));
        // b (the responder) may initiate now that it knows a's endpoint
        assertThat(MessageType.of(link.wire.peek().data())).isEqualTo(MessageType.INITIATION);
        link.pump();
        assertThat(link.a.delivered).hasSize(1);
    }

    @Test
    void dataSentButNothingHeardForFifteenSecondsStartsANewHandshake() {
        link = new MemoryLink();
        establish();
        long sent = link.a.peer.counters().get(Counters.Kind.HANDSHAKES_SENT);
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 60));
        link.wire.poll().data().release(); // b never hears it, so never answers
        advance(Duration.ofMillis(15_400));
        assertThat(link.a.peer.counters().get(Counters.Kind.HANDSHAKES_SENT)).isEqualTo(sent + 1);
    }

    @Test
    void underLoadTheResponderDemandsACookieAndTheInitiatorRetriesWithMac2() {
        link = new MemoryLink(null, null, 0, true, 0); // every handshake counts as load
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 60));
        assertThat(drainTypes()).containsExactly(10_148, 30_064); // initiation, cookie reply
        assertThat(link.b.peer.hasSession()).isFalse();
        assertThat(link.b.engine.counters().drops(DropReason.UNDER_LOAD)).isEqualTo(1);
        advance(Duration.ofMillis(5_400));
        // a is under load too (threshold 0), so it demands a cookie for b's response in turn
        assertThat(drainTypes()).containsExactly(10_148, 20_092, 30_064);
        advance(Duration.ofMillis(5_400));
        // now both hold cookies: initiation and response carry mac2 and the held packet arrives
        assertThat(drainTypes()).startsWith(10_148, 20_092, 40_096);
        assertThat(link.b.delivered).hasSize(1);
    }

    @Test
    void forgedCookieReplyIsDroppedAndChangesNothing() {
        link = new MemoryLink(null, null, 0, true, 0);
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 60));
        link.deliver(link.wire.poll());
        Datagram reply = link.wire.poll();
        reply.data().setByte(40, reply.data().getByte(40) ^ 0x80);
        link.deliver(reply);
        assertThat(link.a.peer.counters().drops(DropReason.DECRYPT_FAILED)).isEqualTo(1);
    }
}
