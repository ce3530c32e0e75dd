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
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The sans-IO WireGuard engine of one interface (one static key, one socket, any number of peers).
 * Datagrams come in through {@link #receive}, inner packets through {@link Peer#send}; what goes out
 * leaves through the {@link Outbound} and each peer's {@link InboundSink}. Time advances only
 * through the injected {@link TimeSource} and {@link #tick()}, so tests drive it with a frozen clock.
 *
 * <p>Receive flow: 1. classify by the type word, dropping anything malformed; 2. handshake messages
 * must carry our mac1 (else silently dropped: the port does not answer scanners); 3. under load, a
 * per-source token bucket applies ({@code rate_limited}) and mac2 must prove the source address (else a
 * cookie reply, {@code under_load}); 4. initiations are decrypted to find the peer by its static key,
 * responses and cookie replies by receiver index; 5. transport messages go to the keypair their
 * receiver index names.
 *
 * <p>Handshake floods (issue 10): steps 1 to 3 are cheap (a length, a BLAKE2s, a hash-map look-up) and
 * run on the event loop, which also moves the data. What costs — the X25519 that decrypts an
 * initiation's static key, the two of a response (on a copy of the pending handshake's state), and the
 * XChaCha20-Poly1305 of a cookie reply — runs on the handshake
 * executor, fed through a bounded queue of two lanes ({@link Limits#HANDSHAKE_QUEUE_LENGTH} each):
 * messages to decrypt (initiations and responses), and messages to answer with a cookie; the first is served first, so a peer
 * that proves its address with mac2 passes a flood of cookie requests. A message that finds its lane
 * full is dropped as {@code queue_full}. The engine is under load while a lane holds
 * {@link Limits#UNDER_LOAD_QUEUE_DEPTH} or more (wireguard-go's rule), or more than the threshold of
 * handshake messages arrived in the last second, and for {@link Limits#UNDER_LOAD_HOLD_NANOS} after.
 * Results come back to the event loop (its executor) in batches, where they touch the peers.
 *
 * <p>Single-threaded: every method must be called on the one thread (event loop) that owns it; the
 * handshake executor only ever sees copies of messages and the immutable local key.
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
    private final Executor handshakes;
    private final Executor loop;
    /** Lane 1: initiations to decrypt (X25519); lane 2: messages to answer with a cookie reply. */
    private final ArrayBlockingQueue<Job> decryptLane = new ArrayBlockingQueue<>(Limits.HANDSHAKE_QUEUE_LENGTH);
    private final ArrayBlockingQueue<Job> cookieLane = new ArrayBlockingQueue<>(Limits.HANDSHAKE_QUEUE_LENGTH);
    private final AtomicBoolean workerScheduled = new AtomicBoolean();
    private final ConcurrentLinkedQueue<Object> results = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean resultsScheduled = new AtomicBoolean();
    private final Runnable drainJobs = this::drainJobs;
    private final Runnable drainResults = this::drainResults;

    private long loadWindowStart;
    private int loadWindowCount;
    private long underLoadUntil;
    private boolean everUnderLoad;
    private long lastSweep;

    public Engine(LocalStatic local, TimeSource time, SecureRandom random, ByteBufAllocator alloc, Outbound outbound) {
        this(local, time, random, alloc, outbound, Limits.UNDER_LOAD_HANDSHAKES_PER_SECOND);
    }

    /**
     * With the handshake work done at once on the calling thread (as before issue 10): for tests and tools.
     *
     * @param underLoadThreshold handshake messages per second above which cookies are demanded
     */
    public Engine(LocalStatic local, TimeSource time, SecureRandom random, ByteBufAllocator alloc, Outbound outbound,
                  int underLoadThreshold) {
        this(local, time, random, alloc, outbound, underLoadThreshold, Runnable::run, Runnable::run);
    }

    /**
     * @param underLoadThreshold handshake messages per second above which cookies are demanded
     * @param handshakes         where the expensive handshake work runs (a thread that does not move packets);
     *                           it gets one task at a time per engine, which drains the queue
     * @param loop               the executor of the thread that owns this engine (its event loop), to which
     *                           results come back
     */
    public Engine(LocalStatic local, TimeSource time, SecureRandom random, ByteBufAllocator alloc, Outbound outbound,
                  int underLoadThreshold, Executor handshakes, Executor loop) {
        this.handshakes = handshakes;
        this.loop = loop;
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

    /**
     * A handshake message on its way to the handshake executor: a copy, and when and where it came from; for a
     * response, the initiator and a copy of its pending handshake's state.
     */
    private record Job(byte[] msg, int mac1Offset, InetSocketAddress from, long nanos, Peer initiator,
                       Handshake.ResponseState state) {
        Job(byte[] msg, int mac1Offset, InetSocketAddress from, long nanos) {
            this(msg, mac1Offset, from, nanos, null, null);
        }
    }

    /** What the handshake executor made of a response: the result, or null if it did not authenticate. */
    private record ResponseChecked(Job job, Handshake.ConsumedResponse consumed) {}

    /** What the handshake executor made of an initiation: its candidate, or null if it did not decrypt. */
    private record Decrypted(Job job, Handshake.Candidate candidate) {}

    /** A cookie reply the handshake executor built, to be sent from the loop. */
    private record CookieReply(byte[] reply, InetSocketAddress to) {}

    /** A job the handshake executor could not do (a bug: it costs the message, never the thread). */
    private record Failed() {}

    private void receiveHandshake(ByteBuf datagram, InetSocketAddress from, int expectedLength, int mac1Offset) {
        if (datagram.readableBytes() != expectedLength) {
            counters.drop(DropReason.MALFORMED);
            return;
        }
        long now = time.nanoTime();
        if (everUnderLoad && now - underLoadUntil < 0 && rateLimiter.exhausted(from.getAddress(), now)) {
            // Under load and this source is over its rate: refuse before any copy or MAC (a flood's common case).
            counters.drop(DropReason.RATE_LIMITED);
            return;
        }
        byte[] msg = ByteBufUtil.getBytes(datagram);
        if (!cookies.checkMac1(msg, mac1Offset)) {
            counters.drop(DropReason.BAD_MAC);
            return;
        }
        Peer initiator = null; // for a response: our peer that sent the initiation it answers
        if (msg[0] == MessageType.RESPONSE) {
            int receiver = datagram.getIntLE(datagram.readerIndex() + ResponseMessage.RECEIVER);
            if (indices.get(receiver) instanceof Peer peer && peer.awaitsResponseOn(receiver)) {
                initiator = peer;
            } else {
                counters.drop(DropReason.UNKNOWN_INDEX);
                return;
            }
        }
        if (underLoad(now)) {
            if (!rateLimiter.allow(from.getAddress(), now)) {
                counters.drop(DropReason.RATE_LIMITED);
                return;
            }
            if (!cookies.checkMac2(msg, mac1Offset, CookieChecker.sourceBytes(from), now)) {
                if (cookieLane.offer(new Job(msg, mac1Offset, from, now))) {
                    counters.drop(DropReason.UNDER_LOAD);
                    scheduleJobs();
                } else {
                    counters.drop(DropReason.QUEUE_FULL);
                }
                return;
            }
        }
        Job job;
        if (initiator != null) {
            Handshake.ResponseState state = initiator.responseState();
            if (state == null) {
                counters.drop(DropReason.UNKNOWN_INDEX);
                return;
            }
            job = new Job(msg, mac1Offset, from, now, initiator, state);
        } else {
            job = new Job(msg, mac1Offset, from, now);
        }
        if (decryptLane.offer(job)) {
            scheduleJobs();
        } else {
            if (job.state() != null) {
                job.state().wipe();
            }
            counters.drop(DropReason.QUEUE_FULL);
        }
    }

    private void scheduleJobs() {
        if (workerScheduled.compareAndSet(false, true)) {
            handshakes.execute(drainJobs);
        }
    }

    /**
     * On the handshake executor: works through both lanes, the decrypt lane first, then hands the results to the
     * loop. Touches nothing of the loop's but the queues, the immutable local key and the thread-safe cookies.
     */
    private void drainJobs() {
        for (;;) {
            Job job = decryptLane.poll();
            boolean decrypt = job != null;
            if (!decrypt) {
                job = cookieLane.poll();
            }
            if (job == null) {
                workerScheduled.set(false);
                if ((decryptLane.isEmpty() && cookieLane.isEmpty()) || !workerScheduled.compareAndSet(false, true)) {
                    return;
                }
                continue;
            }
            Object result;
            try {
                if (decrypt && job.initiator() != null) {
                    result = new ResponseChecked(job, Handshake.consumeResponse(local, job.initiator().remote(),
                            job.state(), job.msg()));
                } else if (decrypt) {
                    result = new Decrypted(job, Handshake.decryptInitiation(local, job.msg()));
                } else {
                    int sender = intLE(job.msg(), InitiationMessage.SENDER);
                    result = new CookieReply(cookies.createReply(job.msg(), job.mac1Offset(), sender,
                            CookieChecker.sourceBytes(job.from()), job.nanos()), job.from());
                }
            } catch (RuntimeException e) {
                if (job.state() != null) {
                    job.state().wipe();
                }
                result = new Failed();
            }
            results.add(result);
            if (resultsScheduled.compareAndSet(false, true)) {
                loop.execute(drainResults);
            }
        }
    }

    /** On the loop: applies what the handshake executor finished, then flushes what that sent. */
    private void drainResults() {
        resultsScheduled.set(false);
        Object result;
        while ((result = results.poll()) != null) {
            try {
                if (result instanceof CookieReply reply) {
                    outbound.send(Unpooled.wrappedBuffer(reply.reply()), reply.to());
                } else if (result instanceof Decrypted decrypted) {
                    consumeInitiation(decrypted.job(), decrypted.candidate());
                } else if (result instanceof ResponseChecked checked) {
                    Job job = checked.job();
                    try {
                        if (peersByKey.get(ByteBuffer.wrap(job.initiator().remote().publicKey())) == job.initiator()) {
                            job.initiator().consumeResponse(job.state(), checked.consumed(), job.from());
                        }
                    } finally {
                        job.state().wipe();
                    }
                } else {
                    counters.drop(DropReason.MALFORMED);
                }
            } catch (RuntimeException e) {
                counters.drop(DropReason.MALFORMED);
            }
        }
        outbound.flush();
    }

    private void consumeInitiation(Job job, Handshake.Candidate candidate) {
        if (candidate == null) {
            counters.drop(DropReason.DECRYPT_FAILED);
            return;
        }
        Peer peer = peersByKey.get(ByteBuffer.wrap(candidate.remoteStatic()));
        if (peer == null) {
            candidate.wipe(); // its chain key is secret; no peer will consume (and so wipe) it
            counters.drop(DropReason.UNKNOWN_PEER);
            return;
        }
        peer.consumeInitiation(candidate, job.msg(), job.from());
    }

    private static int intLE(byte[] b, int off) {
        return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8 | (b[off + 2] & 0xFF) << 16 | (b[off + 3] & 0xFF) << 24;
    }

    /** Handshake messages waiting for the handshake executor, both lanes (a gauge; any thread). */
    public int handshakeBacklog() {
        return decryptLane.size() + cookieLane.size();
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

    /**
     * Counts a handshake message and says whether we are under load (and should demand cookies): a lane of the
     * handshake queue is an eighth full, or the messages of the last second are over the threshold; held a second.
     */
    private boolean underLoad(long now) {
        if (now - loadWindowStart >= 1_000_000_000L) {
            loadWindowStart = now;
            loadWindowCount = 0;
        }
        if (++loadWindowCount > underLoadThreshold || decryptLane.size() >= Limits.UNDER_LOAD_QUEUE_DEPTH
                || cookieLane.size() >= Limits.UNDER_LOAD_QUEUE_DEPTH) {
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
