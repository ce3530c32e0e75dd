package dev.culvert.protocol;

import dev.culvert.protocol.Peer.State;
import dev.culvert.protocol.testing.MemoryLink;
import dev.culvert.protocol.testing.MemoryLink.Datagram;
import dev.culvert.protocol.testing.Packets;
import dev.culvert.protocol.wire.MessageType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Tunnel state from handshake age and traffic; persist = retry forever with backoff. */
class PersistAndStateTest {
    private MemoryLink link;

    @AfterEach
    void release() {
        if (link != null) {
            link.releaseAll();
        }
    }

    /** Ticks for {@code d}, dropping everything on the wire; returns the send times (ms) of a's initiations. */
    private List<Long> blackhole(Duration d) {
        List<Long> initiations = new ArrayList<>();
        long steps = d.toNanos() / Limits.TICK_NANOS;
        for (long i = 0; i < steps; i++) {
            link.time.advance(Duration.ofNanos(Limits.TICK_NANOS));
            link.tick();
            Datagram x;
            while ((x = link.wire.poll()) != null) {
                if (MessageType.of(x.data()) == MessageType.INITIATION && x.to().equals(MemoryLink.B_ADDR)) {
                    initiations.add(i * Limits.TICK_NANOS / 1_000_000);
                }
                x.data().release();
            }
        }
        return initiations;
    }

    @Test
    void statesFollowTheHandshakeAndTheTraffic() {
        link = new MemoryLink();
        link.tick();
        assertThat(link.a.peer.state()).isEqualTo(State.CONNECTING); // has an endpoint, no session yet
        assertThat(link.b.peer.state()).isEqualTo(State.DOWN);       // waits for a to call in
        link.a.peer.start();
        link.pump();
        link.tick();
        assertThat(link.a.peer.state()).isEqualTo(State.UP);
        assertThat(link.b.peer.state()).isEqualTo(State.UP);
        // a sends, b has vanished: 15 s later a is stale and re-handshaking
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 60));
        blackhole(Duration.ofSeconds(16));
        assertThat(link.a.peer.state()).isEqualTo(State.STALE);
        // without persist, a gives up after REKEY_ATTEMPT_TIME: down
        blackhole(Duration.ofSeconds(200));
        assertThat(link.a.peer.state()).isEqualTo(State.DOWN);
    }

    @Test
    void persistRetriesForeverWithBackoffAndReconnectsWhenThePeerIsBack() {
        AtomicInteger resolves = new AtomicInteger();
        link = MemoryLink.tweaked(o -> new PeerOptions(o.endpoint(), 0, o.mtu(), o.sink(), true, resolves::incrementAndGet), o -> o);
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 60));
        List<Long> times = blackhole(Duration.ofMinutes(10));
        // WireGuard would stop after 1 + 18 + 1 initiations in ~95 s; persist goes on for the whole 10 minutes
        assertThat(times.size()).isGreaterThan(Spec.MAX_TIMER_HANDSHAKES + 10);
        assertThat(times.get(times.size() - 1)).isGreaterThan(Duration.ofMinutes(9).toMillis());
        // after the give-up point the gaps grow to the 30 s cap (times 1.5 jitter at most), never beyond
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < times.size(); i++) {
            gaps.add(times.get(i) - times.get(i - 1));
        }
        assertThat(gaps.subList(gaps.size() - 5, gaps.size())).allSatisfy(g -> assertThat(g).isBetween(29_000L, 45_100L));
        assertThat(resolves.get()).as("endpoint re-resolved before every retry").isEqualTo(times.size() - 1);
        assertThat(link.a.peer.state()).isEqualTo(State.CONNECTING);
        // the peer comes back: within one backoff period the tunnel is up again, with no other step
        for (int i = 0; i < 460 && !link.a.peer.hasSession(); i++) {
            link.time.advance(Duration.ofNanos(Limits.TICK_NANOS));
            link.tick();
            link.pump();
        }
        assertThat(link.a.peer.hasSession()).isTrue();
        link.tick();
        assertThat(link.a.peer.state()).isEqualTo(State.UP);
    }
}
