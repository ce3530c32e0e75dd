package dev.culvert.protocol;

import dev.culvert.protocol.Peer.State;
import dev.culvert.protocol.testing.MemoryLink;
import dev.culvert.protocol.testing.MemoryLink.Datagram;
import dev.culvert.protocol.wire.MessageType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13, "Names that move", the idle case: a tunnel that sends only persistent keepalives arms no
 * re-handshake (keepalives are not data), so without help it would notice a moved server only at the next
 * rekey, 120 s on. With persistent keepalive on, a keepalive tick of a peer silent for KEEPALIVE +
 * REKEY_TIMEOUT (15 s) looks the endpoint's name up first; an answer that differs moves the peer and sends
 * an initiation at once ({@link Peer#endpointResolved}). All on a frozen clock.
 */
class IdleReresolveTest {
    private static final long KEEPALIVE_SECONDS = 10;
    private static final long KEEPALIVE_NANOS = TimeUnit.SECONDS.toNanos(KEEPALIVE_SECONDS);
    /** Where b is after it "moved" (a documentation address, never on a real wire). */
    private static final InetSocketAddress B_MOVED = address("198.51.100.2", 51820);

    private MemoryLink link;
    private final List<Long> lookUpsAt = new ArrayList<>();
    /** What the fake name service answers at a look-up (null: nothing changed, no answer passed on). */
    private InetSocketAddress answer;

    @AfterEach
    void release() {
        if (link != null) {
            link.releaseAll();
        }
    }

    /** a: persistent keepalive, persist, look-ups recorded (and answered with {@link #answer}); b: keepalive as given. */
    private void link(long keepaliveOfB) {
        link = MemoryLink.tweaked(o -> new PeerOptions(o.endpoint(), KEEPALIVE_NANOS, o.mtu(), o.sink(), true,
                this::lookUp), o -> new PeerOptions(o.endpoint(), keepaliveOfB, o.mtu(), o.sink(), true, null));
        link.a.peer.start();
        link.pump();
        link.tick();
        assertThat(link.a.peer.state()).isEqualTo(State.UP);
    }

    /** The look-up: recorded; a changed answer comes back (on the engine's thread, as the daemon posts it). */
    private void lookUp() {
        lookUpsAt.add(link.time.nanoTime());
        if (answer != null) {
            link.a.peer.endpointResolved(answer);
        }
    }

    private void advanceTicks(Duration span, boolean deliver) {
        long ticks = span.toNanos() / Limits.TICK_NANOS;
        for (long t = 0; t < ticks; t++) {
            link.time.advance(Duration.ofNanos(Limits.TICK_NANOS));
            link.tick();
            if (deliver) {
                link.pump();
            } else {
                Datagram d;
                while ((d = link.wire.poll()) != null) {
                    d.data().release();
                }
            }
        }
    }

    @Test
    void anIdlePeerSilentForTheStaleTimeoutIsLookedUpAtItsKeepaliveTicks() {
        link(0);
        long start = link.time.nanoTime();
        advanceTicks(Duration.ofSeconds(60), false); // b is gone: nothing comes back
        // keepalives at 10, 20, ... 60 s; from 20 s on a has heard nothing for 15 s: one look-up per tick
        assertThat(lookUpsAt).as("look-ups at the keepalive ticks from 20 s on").hasSize(5);
        assertThat(lookUpsAt.get(0) - start).isBetween(TimeUnit.SECONDS.toNanos(15), TimeUnit.SECONDS.toNanos(21));
        for (int i = 1; i < lookUpsAt.size(); i++) {
            assertThat(lookUpsAt.get(i) - lookUpsAt.get(i - 1)).as("one per keepalive interval")
                    .isGreaterThanOrEqualTo(KEEPALIVE_NANOS);
        }
    }

    @Test
    void aPeerThatKeepsAnsweringIsNeverLookedUp() {
        link(KEEPALIVE_NANOS); // b's keepalives reach a every 10 s
        advanceTicks(Duration.ofSeconds(110), true);
        assertThat(link.a.peer.state()).isEqualTo(State.UP);
        assertThat(lookUpsAt).as("look-ups of a peer heard from within the stale timeout").isEmpty();
    }

    @Test
    void aLiveButSilentPeerIsLookedUpAtMostOncePerKeepaliveInterval() {
        link(0); // b is there but, idle, has nothing to say (keepalives carry no data, so it sends none back)
        advanceTicks(Duration.ofSeconds(110), true);
        assertThat(link.a.peer.state()).isEqualTo(State.UP);
        assertThat(lookUpsAt.size()).as("look-ups in 110 s at a 10 s keepalive").isBetween(1, 10);
        assertThat(link.a.peer.counters().get(Counters.Kind.HANDSHAKES_SENT)).as("no handshake beyond the first").isEqualTo(1);
    }

    @Test
    void aChangedAnswerMovesThePeerAndInitiatesAtOnce() {
        link(0);
        answer = B_MOVED; // b restarted elsewhere, with no session; the name now says so
        List<Datagram> sent = new ArrayList<>();
        long ticks = Duration.ofSeconds(30).toNanos() / Limits.TICK_NANOS;
        long movedAt = 0;
        for (long t = 0; t < ticks && movedAt == 0; t++) {
            link.time.advance(Duration.ofNanos(Limits.TICK_NANOS));
            link.tick();
            Datagram d;
            while ((d = link.wire.poll()) != null) {
                if (MessageType.of(d.data()) == MessageType.INITIATION) {
                    sent.add(d);
                    movedAt = link.time.nanoTime();
                } else {
                    d.data().release();
                }
            }
        }
        assertThat(lookUpsAt).as("the idle look-up").hasSize(1);
        assertThat(movedAt).as("an initiation in the same tick as the look-up").isEqualTo(lookUpsAt.get(0));
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).to()).isEqualTo(B_MOVED);
        assertThat(link.a.peer.endpoint()).isEqualTo(B_MOVED);

        // b answers from its new address: a's session runs there
        Datagram init = sent.get(0);
        link.b.engine.receive(init.data(), init.from());
        Datagram response = link.wire.poll();
        assertThat(response).isNotNull();
        assertThat(MessageType.of(response.data())).isEqualTo(MessageType.RESPONSE);
        link.a.engine.receive(response.data(), B_MOVED);
        link.tick();
        assertThat(link.a.peer.state()).isEqualTo(State.UP);
        assertThat(link.a.peer.endpoint()).isEqualTo(B_MOVED);
        assertThat(link.a.peer.counters().get(Counters.Kind.HANDSHAKES_COMPLETED)).isEqualTo(2);
    }

    @Test
    void aChangedAnswerInitiatesEvenRightAfterAnotherInitiation() {
        link(0);
        link.a.peer.sendHandshakeInitiation(false); // REKEY_TIMEOUT would hold the next one back 5 s
        link.wire.forEach(d -> d.data().release());
        link.wire.clear();
        assertThat(link.a.peer.endpointResolved(B_MOVED)).isTrue();
        Datagram d = link.wire.poll();
        assertThat(d).as("an initiation at once").isNotNull();
        assertThat(MessageType.of(d.data())).isEqualTo(MessageType.INITIATION);
        assertThat(d.to()).isEqualTo(B_MOVED);
        d.data().release();
        assertThat(lookUpsAt).as("the answer itself asks for no second look-up").isEmpty();
    }

    @Test
    void anUnchangedAnswerDoesNothing() {
        link(0);
        assertThat(link.a.peer.endpointResolved(MemoryLink.B_ADDR)).isFalse();
        assertThat(link.wire).as("nothing sent").isEmpty();
        assertThat(link.a.peer.endpoint()).isEqualTo(MemoryLink.B_ADDR);
    }

    private static InetSocketAddress address(String host, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
