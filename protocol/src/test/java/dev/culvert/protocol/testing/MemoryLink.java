package dev.culvert.protocol.testing;

import dev.culvert.protocol.AllowedIps;
import dev.culvert.protocol.Engine;
import dev.culvert.protocol.InboundSink;
import dev.culvert.protocol.Outbound;
import dev.culvert.protocol.Peer;
import dev.culvert.protocol.PeerOptions;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.noise.RemoteStatic;
import dev.culvert.crypto.X25519;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Two engines, "a" (198.18.0.1 inside, 192.0.2.1:51820 outside) and "b" (198.18.0.2, 192.0.2.2:51820),
 * joined by in-memory queues instead of sockets (wireguard-go's bindtest idea). Nothing moves until
 * the test calls {@link #pump()}, so a test can inspect, drop, duplicate or forge datagrams on the
 * way. One frozen {@link FakeTime} drives both.
 */
public final class MemoryLink {
    public static final InetSocketAddress A_ADDR = address("192.0.2.1", 51820);
    public static final InetSocketAddress B_ADDR = address("192.0.2.2", 51820);

    /** A datagram in flight. */
    public record Datagram(ByteBuf data, InetSocketAddress from, InetSocketAddress to) {}

    /** One side: its engine, its view of the other as a peer, and what the peer delivered to it. */
    public static final class Side {
        public final Engine engine;
        public final Peer peer;
        /** Inner packets the engine delivered to this side's device. */
        public final List<ByteBuf> delivered;
        public final InetSocketAddress address;

        Side(Engine engine, Peer peer, InetSocketAddress address, List<ByteBuf> delivered) {
            this.engine = engine;
            this.peer = peer;
            this.address = address;
            this.delivered = delivered;
        }
    }

    public final FakeTime time = new FakeTime();
    public final Deque<Datagram> wire = new ArrayDeque<>();
    public final Side a;
    public final Side b;

    public MemoryLink() {
        this(null, null, 0, true, Integer.MAX_VALUE);
    }

    /**
     * @param pskA preshared key a uses for b (null = none); pskB likewise
     * @param aKnowsB whether a is configured with b's endpoint (b never is: it learns a's)
     */
    public MemoryLink(byte[] pskA, byte[] pskB, long persistentKeepaliveNanos, boolean aKnowsB, int underLoadThreshold) {
        this(pskA, pskB, persistentKeepaliveNanos, aKnowsB, underLoadThreshold, UnpooledByteBufAllocator.DEFAULT);
    }

    /** @param alloc where the engines take their buffers (pooled, for benchmarks) */
    public MemoryLink(byte[] pskA, byte[] pskB, long persistentKeepaliveNanos, boolean aKnowsB, int underLoadThreshold,
                      io.netty.buffer.ByteBufAllocator alloc) {
        this(pskA, pskB, persistentKeepaliveNanos, aKnowsB, underLoadThreshold, alloc, o -> o, o -> o);
    }

    /** Any options: each side's defaults pass through {@code tweakA} / {@code tweakB}. */
    public static MemoryLink tweaked(UnaryOperator<PeerOptions> tweakA, UnaryOperator<PeerOptions> tweakB) {
        return new MemoryLink(null, null, 0, true, Integer.MAX_VALUE, UnpooledByteBufAllocator.DEFAULT, tweakA, tweakB);
    }

    private MemoryLink(byte[] pskA, byte[] pskB, long persistentKeepaliveNanos, boolean aKnowsB, int underLoadThreshold,
                       io.netty.buffer.ByteBufAllocator alloc, UnaryOperator<PeerOptions> tweakA,
                       UnaryOperator<PeerOptions> tweakB) {
        SecureRandom random = new SecureRandom();
        byte[] privA = X25519.generatePrivateKey(random);
        byte[] privB = X25519.generatePrivateKey(random);
        LocalStatic localA = new LocalStatic(privA);
        LocalStatic localB = new LocalStatic(privB);
        Engine engineA = new Engine(localA, time, random, alloc, outbound(A_ADDR), underLoadThreshold);
        Engine engineB = new Engine(localB, time, random, alloc, outbound(B_ADDR), underLoadThreshold);
        List<ByteBuf> deliveredA = new ArrayList<>();
        List<ByteBuf> deliveredB = new ArrayList<>();
        try {
            Peer bAtA = engineA.addPeer(new RemoteStatic(localA, localB.publicKey(), pskA),
                    tweakA.apply(new PeerOptions(aKnowsB ? B_ADDR : null, persistentKeepaliveNanos, 1420,
                            InboundSink.of(deliveredA::add))));
            Peer aAtB = engineB.addPeer(new RemoteStatic(localB, localA.publicKey(), pskB),
                    tweakB.apply(new PeerOptions(null, 0, 1420, InboundSink.of(deliveredB::add))));
            this.a = new Side(engineA, bAtA, A_ADDR, deliveredA);
            this.b = new Side(engineB, aAtB, B_ADDR, deliveredB);
        } catch (InvalidKeyException e) {
            throw new AssertionError(e);
        }
    }

    private Outbound outbound(InetSocketAddress self) {
        return (datagram, to) -> wire.add(new Datagram(datagram, self, to));
    }

    /** Delivers everything in flight (and whatever that provokes) until the wire is quiet. Returns how many. */
    public int pump() {
        int n = 0;
        Datagram d;
        while ((d = wire.poll()) != null) {
            deliver(d);
            n++;
            if (n > 10_000) {
                throw new AssertionError("the engines do not quiesce");
            }
        }
        return n;
    }

    /** Delivers one datagram to whichever side it is addressed to (or drops it if neither). */
    public void deliver(Datagram d) {
        if (d.to().equals(B_ADDR)) {
            b.engine.receive(d.data(), d.from());
            b.engine.flushDelivered();
        } else if (d.to().equals(A_ADDR)) {
            a.engine.receive(d.data(), d.from());
            a.engine.flushDelivered();
        } else {
            d.data().release();
        }
    }

    /** Ticks both engines and both peers' timers. */
    public void tick() {
        a.engine.tick();
        b.engine.tick();
        a.peer.tick();
        b.peer.tick();
    }

    public void releaseAll() {
        wire.forEach(d -> d.data().release());
        wire.clear();
        a.delivered.forEach(ByteBuf::release);
        b.delivered.forEach(ByteBuf::release);
        a.engine.close();
        b.engine.close();
    }

    public static AllowedIps allowed(String address, int length) {
        try {
            return new AllowedIps(List.of(new AllowedIps.Prefix(InetAddress.getByName(address), length)));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static InetSocketAddress address(String host, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
