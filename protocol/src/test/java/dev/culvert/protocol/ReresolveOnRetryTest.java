package dev.culvert.protocol;

import dev.culvert.protocol.Peer.State;
import dev.culvert.protocol.testing.MemoryLink;
import dev.culvert.protocol.testing.MemoryLink.Datagram;
import dev.culvert.protocol.testing.Packets;
import dev.culvert.protocol.wire.MessageType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13, "Names that move": the endpoint's name is looked up again ({@link PeerOptions#beforeRetry})
 * before every handshake retry, whether or not traffic keeps asking for handshakes, and when a peer that
 * was up falls silent for the stale timeout (KEEPALIVE + REKEY_TIMEOUT).
 */
class ReresolveOnRetryTest {
    private MemoryLink link;
    private final AtomicInteger lookUps = new AtomicInteger();
    private int initiations;

    @AfterEach
    void release() {
        if (link != null) {
            link.releaseAll();
        }
    }

    private void persistWithLookUps() {
        link = MemoryLink.tweaked(o -> new PeerOptions(o.endpoint(), 0, o.mtu(), o.sink(), true,
                lookUps::incrementAndGet), o -> o);
    }

    /** One tick, everything on the wire lost; counts a's initiations. */
    private void blackholeTick() {
        link.time.advance(Duration.ofNanos(Limits.TICK_NANOS));
        link.tick();
        Datagram x;
        while ((x = link.wire.poll()) != null) {
            if (MessageType.of(x.data()) == MessageType.INITIATION && x.to().equals(MemoryLink.B_ADDR)) {
                initiations++;
            }
            x.data().release();
        }
    }

    @Test
    void everyRetryLooksTheNameUpAgainWhileTrafficKeepsFlowing() {
        persistWithLookUps();
        long ticksPerSecond = 1_000_000_000L / Limits.TICK_NANOS;
        for (int s = 0; s < 60; s++) {
            link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 60)); // a packet every second
            for (long t = 0; t < ticksPerSecond; t++) {
                blackholeTick();
            }
        }
        // about one initiation per REKEY_TIMEOUT: the first is the request, every later one a retry
        assertThat(initiations).isGreaterThan(8);
        assertThat(lookUps.get()).as("look-ups before the %d retries", initiations - 1)
                .isGreaterThanOrEqualTo(initiations - 1);
    }

    @Test
    void everyRetryLooksTheNameUpAgainWhenIdle() {
        persistWithLookUps();
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 60)); // one packet, then nothing
        long ticks = Duration.ofSeconds(60).toNanos() / Limits.TICK_NANOS;
        for (long t = 0; t < ticks; t++) {
            blackholeTick();
        }
        assertThat(initiations).isGreaterThan(8);
        assertThat(lookUps.get()).isGreaterThanOrEqualTo(initiations - 1);
    }

    @Test
    void aPeerSilentForTheStaleTimeoutIsLookedUpAgain() {
        persistWithLookUps();
        link.a.peer.start();
        link.pump();
        link.tick();
        assertThat(link.a.peer.state()).isEqualTo(State.UP);
        int before = lookUps.get();
        // b vanishes; a keeps sending: after KEEPALIVE + REKEY_TIMEOUT (15 s + jitter) a re-handshakes
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 60));
        long ticks = Duration.ofMillis(15_400).toNanos() / Limits.TICK_NANOS;
        for (long t = 0; t < ticks; t++) {
            blackholeTick();
        }
        assertThat(link.a.peer.state()).isEqualTo(State.STALE);
        assertThat(initiations).as("the stale re-handshake").isEqualTo(1);
        assertThat(lookUps.get() - before).as("look-ups when the peer went stale").isEqualTo(1);
    }
}
