package dev.culvert.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.protocol.Counters;
import dev.culvert.protocol.testing.MemoryLink;
import dev.culvert.protocol.testing.Packets;
import io.netty.buffer.Unpooled;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The first drop of each reason at once, then at most one summary a minute. */
class DropLogTest {
    private final List<String> lines = new ArrayList<>();
    private final DropLog log = new DropLog(lines::add);
    private final MemoryLink link = new MemoryLink();

    @AfterEach
    void release() {
        link.releaseAll();
    }

    private void garbage(int n) {
        for (int i = 0; i < n; i++) {
            link.a.engine.receive(Unpooled.wrappedBuffer(new byte[] {9, 9, 9}), MemoryLink.B_ADDR);
        }
    }

    @Test
    void firstDropAtOnceThenOneSummaryPerMinute() {
        Map<String, Counters> scopes = Map.of("interface", link.a.engine.counters());
        long t = 0;
        log.check(scopes, t);
        assertThat(lines).isEmpty();

        garbage(5);
        log.check(scopes, t += TimeUnit.SECONDS.toNanos(1));
        assertThat(lines).containsExactly("interface: dropped a packet: malformed (further drops are summed up every 60 s)");

        garbage(3);
        log.check(scopes, t += TimeUnit.SECONDS.toNanos(30));
        assertThat(lines).hasSize(1);

        log.check(scopes, t += TimeUnit.SECONDS.toNanos(30));
        assertThat(lines).hasSize(2).last().isEqualTo("interface: dropped 7 packets (malformed: 7) in the last 61 s");

        log.check(scopes, t += TimeUnit.SECONDS.toNanos(60));
        assertThat(lines).as("a quiet minute logs nothing").hasSize(2);
    }

    @Test
    void perTunnelReasonsAreNamed() {
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 100));
        link.pump();
        // the same datagram twice: b's tunnel drops the second as a replay
        link.a.peer.send(Packets.ipv4("198.18.0.1", "198.18.0.2", 100));
        MemoryLink.Datagram good = link.wire.poll();
        Map<String, Counters> scopes = Map.of("tunnel t1", link.b.peer.counters());
        log.check(scopes, 0);
        MemoryLink.Datagram again = new MemoryLink.Datagram(good.data().copy(), good.from(), good.to());
        link.deliver(good);
        link.deliver(again);
        log.check(scopes, 1);
        assertThat(lines).singleElement().asString().startsWith("tunnel t1: dropped a packet: replay");
    }

    /** Issue 11 item 12: drops that an ordinary start or a peer's reboot produce are not warnings. */
    @Test
    void routineDropsAreInfoAndSuspiciousOnesWarnings() {
        List<String> levelled = new ArrayList<>();
        DropLog byLevel = DropLog.levelled((level, line) -> levelled.add(level + " " + line));
        Counters counters = new Counters();
        Map<String, Counters> scopes = Map.of("interface", counters);
        byLevel.check(scopes, 0);

        counters.drop(dev.culvert.protocol.DropReason.UNKNOWN_PEER);
        counters.drop(dev.culvert.protocol.DropReason.UNKNOWN_INDEX);
        counters.drop(dev.culvert.protocol.DropReason.RATE_LIMITED);
        byLevel.check(scopes, 1);
        assertThat(levelled).containsExactly(
                "INFO interface: dropped a packet: rate_limited (further drops are summed up every 60 s)",
                "INFO interface: dropped a packet: unknown_peer (further drops are summed up every 60 s)",
                "INFO interface: dropped a packet: unknown_index (further drops are summed up every 60 s)");

        counters.drop(dev.culvert.protocol.DropReason.BAD_MAC);
        counters.drop(dev.culvert.protocol.DropReason.UNKNOWN_PEER);
        byLevel.check(scopes, 2);
        assertThat(levelled).last().isEqualTo(
                "WARNING interface: dropped a packet: bad_mac (further drops are summed up every 60 s)");

        counters.drop(dev.culvert.protocol.DropReason.UNKNOWN_INDEX);
        byLevel.check(scopes, TimeUnit.SECONDS.toNanos(61));
        assertThat(levelled).last().asString().startsWith("INFO interface: dropped 2 packets");

        counters.drop(dev.culvert.protocol.DropReason.BAD_MAC);
        counters.drop(dev.culvert.protocol.DropReason.UNKNOWN_PEER);
        byLevel.check(scopes, TimeUnit.SECONDS.toNanos(122));
        assertThat(levelled).as("a summary takes its highest level").last().asString()
                .startsWith("WARNING interface: dropped 2 packets");
    }

    /** A key we do not have, for over a minute, is a misconfiguration, not a start race: then it is a warning. */
    @Test
    void unknownPeerThatLastsBecomesAWarningThatSaysWhatToCheck() {
        List<String> levelled = new ArrayList<>();
        DropLog byLevel = DropLog.levelled((level, line) -> levelled.add(level + " " + line));
        Counters counters = new Counters();
        Map<String, Counters> scopes = Map.of("interface", counters);
        long t = 0;
        byLevel.check(scopes, t);
        for (int i = 0; i < 36; i++) { // a peer's initiation every 5 s for three minutes
            counters.drop(dev.culvert.protocol.DropReason.UNKNOWN_PEER);
            byLevel.check(scopes, t += TimeUnit.SECONDS.toNanos(5));
        }

        assertThat(levelled).hasSize(4);
        assertThat(levelled.get(0)).startsWith("INFO interface: dropped a packet: unknown_peer");
        assertThat(levelled.get(1)).startsWith("INFO interface: dropped 11 packets (unknown_peer: 11)")
                .doesNotContain("check");
        assertThat(levelled.get(2)).startsWith("WARNING interface: dropped 12 packets (unknown_peer: 12)")
                .endsWith("(check peer.public-key on both sides)");
        assertThat(levelled.get(3)).startsWith("WARNING ");
    }

    /** A start race: a few unknown_peer drops in the first minute and none after stay at INFO. */
    @Test
    void unknownPeerAtAStartRaceStaysInfo() {
        List<String> levelled = new ArrayList<>();
        DropLog byLevel = DropLog.levelled((level, line) -> levelled.add(level + " " + line));
        Counters counters = new Counters();
        Map<String, Counters> scopes = Map.of("interface", counters);
        byLevel.check(scopes, 0);
        for (int i = 0; i < 3; i++) {
            counters.drop(dev.culvert.protocol.DropReason.UNKNOWN_PEER);
        }
        for (long s = 1; s <= 180; s++) {
            byLevel.check(scopes, TimeUnit.SECONDS.toNanos(s));
        }

        assertThat(levelled).hasSize(2).allMatch(l -> l.startsWith("INFO "));
    }
}
