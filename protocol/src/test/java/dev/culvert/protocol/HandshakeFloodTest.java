package dev.culvert.protocol;

import dev.culvert.crypto.X25519;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.noise.MacGenerator;
import dev.culvert.protocol.noise.RemoteStatic;
import dev.culvert.protocol.testing.FakeTime;
import dev.culvert.protocol.wire.InitiationMessage;
import dev.culvert.protocol.wire.MessageType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The responder under a handshake flood (issue 10), deterministic: a frozen clock, and the handshake executor and
 * the event loop as task queues the test runs by hand, so it can look between "the loop queued it" and "the
 * handshake thread did it". Responder b (the engine under test), a legitimate initiator a (an inline engine that
 * is b's peer), and forged initiations: random inside, a valid mac1 for b, mac2 zero, from any address.
 */
class HandshakeFloodTest {
    private static final InetSocketAddress A_ADDR = new InetSocketAddress(ip("192.0.2.1"), 51820);
    private static final InetSocketAddress B_ADDR = new InetSocketAddress(ip("192.0.2.2"), 51820);

    /** An executor that only queues; the test runs the tasks. */
    static final class Tasks implements Executor {
        final ArrayDeque<Runnable> queue = new ArrayDeque<>();

        @Override
        public void execute(Runnable task) {
            queue.add(task);
        }

        int runAll() {
            int n = 0;
            Runnable r;
            while ((r = queue.poll()) != null) {
                r.run();
                n++;
            }
            return n;
        }
    }

    record Sent(ByteBuf data, InetSocketAddress to) {
        int type() {
            return data.getByte(data.readerIndex());
        }
    }

    private final FakeTime time = new FakeTime();
    private final SecureRandom random = new SecureRandom();
    private final Tasks handshakes = new Tasks();
    private final Tasks loop = new Tasks();
    private final List<Sent> fromB = new ArrayList<>();
    private final List<Sent> fromA = new ArrayList<>();
    private final LocalStatic localA = new LocalStatic(X25519.generatePrivateKey(random));
    private final LocalStatic localB = new LocalStatic(X25519.generatePrivateKey(random));
    private Engine a;
    private Engine b;
    private Peer bAtA;
    private Peer aAtB;
    private MacGenerator forger;

    private void start(int underLoadThreshold) throws InvalidKeyException {
        b = new Engine(localB, time, random, UnpooledByteBufAllocator.DEFAULT, (d, to) -> fromB.add(new Sent(d, to)),
                underLoadThreshold, handshakes, loop);
        a = new Engine(localA, time, random, UnpooledByteBufAllocator.DEFAULT, (d, to) -> fromA.add(new Sent(d, to)),
                Integer.MAX_VALUE);
        aAtB = b.addPeer(new RemoteStatic(localB, localA.publicKey(), null),
                new PeerOptions(null, 0, 1420, InboundSink.of(ByteBuf::release)));
        bAtA = a.addPeer(new RemoteStatic(localA, localB.publicKey(), null),
                new PeerOptions(B_ADDR, 0, 1420, InboundSink.of(ByteBuf::release)));
        forger = new MacGenerator(new RemoteStatic(new LocalStatic(X25519.generatePrivateKey(random)),
                localB.publicKey(), null));
    }

    @AfterEach
    void release() {
        fromA.forEach(s -> s.data().release());
        fromB.forEach(s -> s.data().release());
        if (a != null) {
            a.close();
            b.close();
        }
    }

    private ByteBuf forged() {
        byte[] msg = new byte[InitiationMessage.LENGTH];
        random.nextBytes(msg);
        msg[0] = MessageType.INITIATION;
        msg[1] = msg[2] = msg[3] = 0;
        forger.addMacs(msg, InitiationMessage.MAC1, time.nanoTime());
        return Unpooled.wrappedBuffer(msg);
    }

    /** The n-th flood source: each in a /64 of its own (so the per-source rate never stops it). */
    private static InetSocketAddress source(int n) {
        return new InetSocketAddress(ip("2001:db8:" + Integer.toHexString(n >>> 16) + ":" + Integer.toHexString(n & 0xFFFF)
                + "::1"), 40000);
    }

    /** The initiation a has just sent to b (a's handshakes run inline). */
    private ByteBuf initiationFromA() {
        Sent s = fromA.remove(fromA.size() - 1);
        assertThat(s.type()).isEqualTo(MessageType.INITIATION);
        return s.data();
    }

    private long drops(DropReason reason) {
        return b.counters().drops(reason);
    }

    /** Delivers everything b sent to a (cookie replies, responses), as the network would. */
    private void deliverToA() {
        for (Sent s : fromB) {
            if (s.to().equals(A_ADDR)) {
                a.receive(s.data().retain(), B_ADDR);
            }
        }
    }

    @Test
    void theLoopOnlyQueuesAnInitiationTheHandshakeThreadDecryptsItAndTheLoopAnswers() throws Exception {
        start(Integer.MAX_VALUE);
        bAtA.start();
        b.receive(initiationFromA(), A_ADDR);
        assertThat(fromB).isEmpty();
        assertThat(b.handshakeBacklog()).isEqualTo(1);
        assertThat(handshakes.runAll()).isEqualTo(1);
        assertThat(fromB).as("the result waits for the loop").isEmpty();
        assertThat(b.handshakeBacklog()).isZero();
        loop.runAll();
        assertThat(fromB).singleElement().satisfies(s -> {
            assertThat(s.type()).isEqualTo(MessageType.RESPONSE);
            assertThat(s.to()).isEqualTo(A_ADDR);
        });
        deliverToA();
        assertThat(bAtA.hasSession()).as("the initiator completed the handshake").isTrue();
    }

    @Test
    void aFloodBeyondBothLanesIsDroppedAsQueueFullAndCostsNoCryptoUntilTheHandshakeThreadRuns() throws Exception {
        start(Integer.MAX_VALUE);
        int decrypt = Limits.UNDER_LOAD_QUEUE_DEPTH;
        int cookie = Limits.HANDSHAKE_QUEUE_LENGTH;
        for (int i = 0; i < decrypt + cookie + 10; i++) {
            b.receive(forged(), source(i));
        }
        // the decrypt lane's depth reached an eighth: under load, so the rest wanted cookies until that lane filled
        assertThat(b.handshakeBacklog()).isEqualTo(decrypt + cookie);
        assertThat(drops(DropReason.UNDER_LOAD)).isEqualTo(cookie);
        assertThat(drops(DropReason.QUEUE_FULL)).isEqualTo(10);
        assertThat(drops(DropReason.DECRYPT_FAILED)).isZero();
        assertThat(fromB).isEmpty();

        handshakes.runAll();
        loop.runAll();
        assertThat(drops(DropReason.DECRYPT_FAILED)).isEqualTo(decrypt);
        assertThat(fromB).hasSize(cookie).allSatisfy(s -> assertThat(s.type()).isEqualTo(MessageType.COOKIE_REPLY));
        assertThat(fromB.get(0).to()).isEqualTo(source(decrypt));
    }

    @Test
    void underLoadAnInitiationWithoutMac2GetsACookieAndTheRetryWithMac2GetsTheResponse() throws Exception {
        start(0); // every handshake message counts as load
        bAtA.start();
        b.receive(initiationFromA(), A_ADDR);
        handshakes.runAll();
        loop.runAll();
        assertThat(drops(DropReason.UNDER_LOAD)).isEqualTo(1);
        assertThat(fromB).singleElement().satisfies(s -> assertThat(s.type()).isEqualTo(MessageType.COOKIE_REPLY));
        assertThat(aAtB.hasSession()).isFalse();

        deliverToA(); // Culvert's initiator keeps the cookie and sends mac2 with its next initiation
        fromB.forEach(s -> s.data().release());
        fromB.clear();
        time.advance(Duration.ofMillis(5_400));
        bAtA.tick();
        b.receive(initiationFromA(), A_ADDR);
        handshakes.runAll();
        loop.runAll();
        assertThat(drops(DropReason.UNDER_LOAD)).isEqualTo(1);
        assertThat(fromB).singleElement().satisfies(s -> assertThat(s.type()).isEqualTo(MessageType.RESPONSE));
        deliverToA();
        assertThat(bAtA.hasSession()).as("the initiator completed the handshake").isTrue();
    }

    @Test
    void underLoadASourceGetsFivePerBurstThenTwentyPerSecondPerIpv6Slash64() throws Exception {
        start(0);
        for (int i = 1; i <= 6; i++) { // six addresses, one /64
            b.receive(forged(), new InetSocketAddress(ip("2001:db8:1:2::" + i), 51820));
        }
        assertThat(drops(DropReason.UNDER_LOAD)).isEqualTo(5);
        assertThat(drops(DropReason.RATE_LIMITED)).isEqualTo(1);
        b.receive(forged(), new InetSocketAddress(ip("2001:db8:1:3::1"), 51820)); // the next /64
        assertThat(drops(DropReason.UNDER_LOAD)).isEqualTo(6);
        time.advance(Duration.ofMillis(50)); // one token: 1 s / 20
        b.receive(forged(), new InetSocketAddress(ip("2001:db8:1:2::ff"), 51820));
        b.receive(forged(), new InetSocketAddress(ip("2001:db8:1:2::fe"), 51820));
        assertThat(drops(DropReason.UNDER_LOAD)).isEqualTo(7);
        assertThat(drops(DropReason.RATE_LIMITED)).isEqualTo(2);
    }

    @Test
    void ipv4SourcesAreLimitedPerAddress() throws Exception {
        start(0);
        for (int i = 0; i < 6; i++) {
            b.receive(forged(), new InetSocketAddress(ip("198.51.100.7"), 1000 + i)); // ports do not matter
        }
        b.receive(forged(), new InetSocketAddress(ip("198.51.100.8"), 1000));
        assertThat(drops(DropReason.UNDER_LOAD)).isEqualTo(6);
        assertThat(drops(DropReason.RATE_LIMITED)).isEqualTo(1);
    }

    @Test
    void aPeerWithACookieGetsThroughAndIsAnsweredFirstWhileAFloodFillsTheQueue() throws Exception {
        start(0);
        bAtA.start();
        b.receive(initiationFromA(), A_ADDR);
        handshakes.runAll();
        loop.runAll();
        deliverToA();
        fromB.forEach(s -> s.data().release());
        fromB.clear();
        time.advance(Duration.ofMillis(5_400));
        bAtA.tick();
        ByteBuf retry = initiationFromA();

        for (int i = 0; i < Limits.HANDSHAKE_QUEUE_LENGTH + 100; i++) {
            b.receive(forged(), source(i));
        }
        assertThat(drops(DropReason.QUEUE_FULL)).isEqualTo(100);
        b.receive(retry, A_ADDR);
        assertThat(drops(DropReason.QUEUE_FULL)).as("mac2 proves the address: the other lane").isEqualTo(100);
        handshakes.runAll();
        loop.runAll();
        assertThat(fromB).hasSize(Limits.HANDSHAKE_QUEUE_LENGTH + 1);
        assertThat(fromB.get(0).type()).as("answered before the flood's cookie replies").isEqualTo(MessageType.RESPONSE);
        assertThat(fromB.get(0).to()).isEqualTo(A_ADDR);
        deliverToA();
        assertThat(bAtA.hasSession()).as("the initiator completed the handshake").isTrue();
    }

    @Test
    void aJobForAnEngineThatClosedMeanwhileIsHarmless() throws Exception {
        start(Integer.MAX_VALUE);
        bAtA.start();
        b.receive(initiationFromA(), A_ADDR);
        b.close();
        handshakes.runAll();
        loop.runAll();
        assertThat(fromB).isEmpty();
        assertThat(drops(DropReason.UNKNOWN_PEER)).isEqualTo(1);
    }

    @Test
    void theInitiatorChecksAResponseOffTheLoopAndOneForASupersededInitiationIsStale() throws Exception {
        List<Sent> fromInitiator = new ArrayList<>();
        List<Sent> fromResponder = new ArrayList<>();
        Engine initiator = new Engine(localA, time, random, UnpooledByteBufAllocator.DEFAULT,
                (d, to) -> fromInitiator.add(new Sent(d, to)), Integer.MAX_VALUE, handshakes, loop);
        Engine responder = new Engine(localB, time, random, UnpooledByteBufAllocator.DEFAULT,
                (d, to) -> fromResponder.add(new Sent(d, to)), Integer.MAX_VALUE);
        try {
            Peer toB = initiator.addPeer(new RemoteStatic(localA, localB.publicKey(), null),
                    new PeerOptions(B_ADDR, 0, 1420, InboundSink.of(ByteBuf::release)));
            responder.addPeer(new RemoteStatic(localB, localA.publicKey(), null),
                    new PeerOptions(null, 0, 1420, InboundSink.of(ByteBuf::release)));
            toB.start();
            responder.receive(fromInitiator.remove(0).data(), A_ADDR);
            initiator.receive(fromResponder.remove(0).data(), B_ADDR);
            assertThat(initiator.handshakeBacklog()).isEqualTo(1);
            handshakes.runAll();
            assertThat(toB.hasSession()).as("checked, not yet applied on the loop").isFalse();
            loop.runAll();
            assertThat(toB.hasSession()).isTrue();

            // a response whose initiation a newer one replaced while it waited for the handshake thread
            fromInitiator.forEach(s -> s.data().release());
            fromInitiator.clear();
            time.advance(Duration.ofMillis(100)); // past the responder's 20 ms between initiations
            toB.transportReady(); // a new initiation at once
            responder.receive(fromInitiator.remove(fromInitiator.size() - 1).data(), A_ADDR);
            initiator.receive(fromResponder.remove(fromResponder.size() - 1).data(), B_ADDR);
            time.advance(Duration.ofMillis(5_400));
            toB.tick(); // the retry: a newer initiation, a new index
            handshakes.runAll();
            loop.runAll();
            assertThat(toB.counters().drops(DropReason.UNKNOWN_INDEX)).isEqualTo(1);
            assertThat(toB.counters().get(Counters.Kind.HANDSHAKES_COMPLETED)).isEqualTo(1);
        } finally {
            fromInitiator.forEach(s -> s.data().release());
            fromResponder.forEach(s -> s.data().release());
            initiator.close();
            responder.close();
        }
    }

    private static InetAddress ip(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
