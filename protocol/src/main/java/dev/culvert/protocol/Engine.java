package dev.culvert.protocol;

import dev.culvert.protocol.noise.CookieChecker;
import dev.culvert.protocol.noise.Handshake;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.noise.RemoteStatic;
import dev.culvert.protocol.wire.CookieReplyMessage;
import dev.culvert.protocol.wire.InitiationMessage;
import dev.culvert.protocol.wire.MessageType;
import dev.culvert.protocol.wire.ResponseMessage;
import dev.culvert.protocol.wire.TransportMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sans-IO WireGuard engine of one interface (one static key, one socket, any number of peers).
 * Datagrams come in through {@link #receive}, inner packets through {@link Peer#send}; what goes out
 * leaves through the {@link Outbound} and each peer's {@link InboundSink}. Time advances only
 * through the injected {@link TimeSource} and {@link #tick()}, so tests drive it with a frozen clock.
 *
 * <p>Receive flow: 1. classify by the type word, dropping anything malformed; 2. handshake messages
 * must carry our mac1 (else silently dropped: the port does not answer scanners); 3. under load, mac2
 * must prove the source address (else a cookie reply) and a per-source rate applies; 4. initiations
 * are decrypted to find the peer by its static key, responses and cookie replies by receiver index;
 * 5. transport messages go to the keypair their receiver index names.
 *
 * <p>Single-threaded: every method must be called on the one thread (event loop) that owns it.
 */
public final class Engine {
    private final LocalStatic local;
    private final TimeSource time;
    private final SecureRandom random;
    /** For timer jitter only (not secret): a lone packet must not wait on the kernel's entropy pool. */
    private final java.util.SplittableRandom timerRandom;
    private final ByteBufAllocator alloc;
    private final Outbound outbound;
    private final IndexTable indices;
    private final CookieChecker cookies;
    private final RateLimiter rateLimiter = new RateLimiter();
    private final Map<ByteBuffer, Peer> peersByKey = new LinkedHashMap<>();
    private final Counters counters = new Counters();
    private final List<Peer> delivered = new ArrayList<>();
    private final int underLoadThreshold;

    private long loadWindowStart;
    private int loadWindowCount;
    private long underLoadUntil;
    private boolean everUnderLoad;
    private long lastSweep;

    public Engine(LocalStatic local, TimeSource time, SecureRandom random, ByteBufAllocator alloc, Outbound outbound) {
        this(local, time, random, alloc, outbound, Limits.UNDER_LOAD_HANDSHAKES_PER_SECOND);
    }

    /** @param underLoadThreshold handshake messages per second above which cookies are demanded */
    public Engine(LocalStatic local, TimeSource time, SecureRandom random, ByteBufAllocator alloc, Outbound outbound,
                  int underLoadThreshold) {
        this.local = local;
        this.time = time;
        this.random = random;
        this.timerRandom = new java.util.SplittableRandom(random.nextLong());
        this.alloc = alloc;
        this.outbound = outbound;
        this.indices = new IndexTable(random);
        this.cookies = new CookieChecker(local, random);
        this.underLoadThreshold = underLoadThreshold;
        this.loadWindowStart = time.nanoTime();
        this.lastSweep = loadWindowStart;
    }

    /** Adds a peer; call {@link Peer#start()} once its sink is ready. */
    public Peer addPeer(RemoteStatic remote, PeerOptions options) {
        ByteBuffer key = ByteBuffer.wrap(remote.publicKey());
        if (peersByKey.containsKey(key)) {
            throw new IllegalArgumentException("peer " + remote + " is already configured");
        }
        if (remote.hasPublicKey(local.publicKey())) {
            throw new IllegalArgumentException("peer public key is this interface's own public key");
        }
        Peer peer = new Peer(this, remote, options);
        peersByKey.put(key, peer);
        return peer;
    }

    public void removePeer(Peer peer) {
        if (peersByKey.remove(ByteBuffer.wrap(peer.remote().publicKey()), peer)) {
            delivered.remove(peer);
            peer.close();
        }
    }

    public Collection<Peer> peers() {
        return Collections.unmodifiableCollection(peersByKey.values());
    }

    /** Interface-level drops: those that cannot be pinned on a peer (bad mac1, unknown index, garbage). */
    public Counters counters() {
        return counters;
    }

    public byte[] publicKey() {
        return local.publicKey();
    }

    /**
     * Handles one datagram from {@code from}. The buffer is released here, whatever happens;
     * nothing is thrown for bad input: it is dropped and counted.
     */
    public void receive(ByteBuf datagram, InetSocketAddress from) {
        try {
            int type = MessageType.of(datagram);
            int length = datagram.readableBytes();
            switch (type) {
                case MessageType.TRANSPORT -> {
                    if (length < TransportMessage.MIN_LENGTH) {
                        counters.drop(DropReason.MALFORMED);
                    } else {
                        receiveTransport(datagram, from);
                    }
                }
                case MessageType.INITIATION -> receiveHandshake(datagram, from, InitiationMessage.LENGTH, InitiationMessage.MAC1);
                case MessageType.RESPONSE -> receiveHandshake(datagram, from, ResponseMessage.LENGTH, ResponseMessage.MAC1);
                case MessageType.COOKIE_REPLY -> receiveCookieReply(datagram);
                default -> counters.drop(DropReason.MALFORMED);
            }
        } catch (RuntimeException e) {
            // A decoder bug must cost one packet, never the event loop.
            counters.drop(DropReason.MALFORMED);
        } finally {
            datagram.release();
        }
    }

    private void receiveTransport(ByteBuf datagram, InetSocketAddress from) {
        int receiver = datagram.getIntLE(datagram.readerIndex() + TransportMessage.RECEIVER);
        if (indices.get(receiver) instanceof Keypair keypair) {
            keypair.peer.receiveTransport(keypair, datagram, from);
        } else {
            counters.drop(DropReason.UNKNOWN_INDEX);
        }
    }

    private void receiveHandshake(ByteBuf datagram, InetSocketAddress from, int expectedLength, int mac1Offset) {
        if (datagram.readableBytes() != expectedLength) {
            counters.drop(DropReason.MALFORMED);
            return;
        }
        byte[] msg = ByteBufUtil.getBytes(datagram);
        if (!cookies.checkMac1(msg, mac1Offset)) {
            counters.drop(DropReason.BAD_MAC);
            return;
        }
        long now = time.nanoTime();
        if (underLoad(now)) {
            byte[] source = CookieChecker.sourceBytes(from);
            if (!cookies.checkMac2(msg, mac1Offset, source, now)) {
                int sender = datagram.getIntLE(datagram.readerIndex() + InitiationMessage.SENDER);
                outbound.send(Unpooled.wrappedBuffer(cookies.createReply(msg, mac1Offset, sender, source, now)), from);
                counters.drop(DropReason.RATE_LIMITED);
                return;
            }
            if (!rateLimiter.allow(from.getAddress(), now)) {
                counters.drop(DropReason.RATE_LIMITED);
                return;
            }
        }
        if (msg[0] == MessageType.INITIATION) {
            Handshake.Candidate candidate = Handshake.decryptInitiation(local, msg);
            if (candidate == null) {
                counters.drop(DropReason.DECRYPT_FAILED);
                return;
            }
            Peer peer = peersByKey.get(ByteBuffer.wrap(candidate.remoteStatic()));
            if (peer == null) {
                counters.drop(DropReason.UNKNOWN_PEER);
                return;
            }
            peer.consumeInitiation(candidate, msg, from);
        } else {
            int receiver = datagram.getIntLE(datagram.readerIndex() + ResponseMessage.RECEIVER);
            if (indices.get(receiver) instanceof Peer peer && peer.awaitsResponseOn(receiver)) {
                peer.consumeResponse(msg, from);
            } else {
                counters.drop(DropReason.UNKNOWN_INDEX);
            }
        }
    }

    private void receiveCookieReply(ByteBuf datagram) {
        if (datagram.readableBytes() != CookieReplyMessage.LENGTH) {
            counters.drop(DropReason.MALFORMED);
            return;
        }
        int receiver = datagram.getIntLE(datagram.readerIndex() + CookieReplyMessage.RECEIVER);
        Object owner = indices.get(receiver);
        Peer peer = owner instanceof Peer p ? p : owner instanceof Keypair k ? k.peer : null;
        if (peer == null) {
            counters.drop(DropReason.UNKNOWN_INDEX);
            return;
        }
        peer.consumeCookieReply(ByteBufUtil.getBytes(datagram));
    }

    /** Counts a handshake message and says whether we are under load (and should demand cookies). */
    private boolean underLoad(long now) {
        if (now - loadWindowStart >= 1_000_000_000L) {
            loadWindowStart = now;
            loadWindowCount = 0;
        }
        if (++loadWindowCount > underLoadThreshold) {
            underLoadUntil = now + Limits.UNDER_LOAD_HOLD_NANOS;
            everUnderLoad = true;
        }
        return everUnderLoad && now - underLoadUntil < 0;
    }

    /**
     * The engine's own housekeeping (the per-source rate limiter's sweep); each peer's timers run from
     * {@link Peer#tick()}, driven by its tunnel. Call every {@link Limits#TICK_NANOS}.
     */
    public void tick() {
        long now = time.nanoTime();
        if (now - lastSweep > 1_000_000_000L) {
            rateLimiter.sweep(now);
            lastSweep = now;
        }
    }

    /** A peer delivered a payload in this read burst; {@link #flushDelivered()} will flush its sink. */
    void delivered(Peer peer) {
        delivered.add(peer);
    }

    /**
     * The end of a transport read burst: every peer that delivered something flushes its sink (one
     * write burst to each device per read burst). Transports call this from {@code channelReadComplete}.
     */
    public void flushDelivered() {
        for (int i = 0; i < delivered.size(); i++) {
            delivered.get(i).flushDelivered();
        }
        delivered.clear();
    }

    /** Removes every peer and its keys. */
    public void close() {
        for (Peer peer : new ArrayList<>(peersByKey.values())) {
            removePeer(peer);
        }
    }

    // package-private plumbing for Peer
    LocalStatic local() {
        return local;
    }

    SecureRandom random() {
        return random;
    }

    /** A uniform double in [0, 1) for timer jitter and backoff (whitepaper §6.1); not for keys. */
    double timerJitter() {
        return timerRandom.nextDouble();
    }

    TimeSource time() {
        return time;
    }

    long now() {
        return time.nanoTime();
    }

    /** Where the engine (and its transport) take buffers. */
    public ByteBufAllocator alloc() {
        return alloc;
    }

    Outbound outbound() {
        return outbound;
    }

    IndexTable indices() {
        return indices;
    }

    /** Random 0..REKEY_TIMEOUT_JITTER_MAX nanoseconds for handshake timers. */
    long jitter() {
        return (long) (timerRandom.nextDouble() * Spec.REKEY_TIMEOUT_JITTER_MAX_NANOS);
    }
}
