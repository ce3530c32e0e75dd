package dev.culvert.protocol;

import dev.culvert.crypto.Tai64n;
import dev.culvert.protocol.Counters.Kind;
import dev.culvert.protocol.noise.Handshake;
import dev.culvert.protocol.noise.MacGenerator;
import dev.culvert.protocol.noise.RemoteStatic;
import dev.culvert.protocol.noise.SessionKeys;
import dev.culvert.protocol.wire.InitiationMessage;
import dev.culvert.protocol.wire.MessageType;
import dev.culvert.protocol.wire.PacketRoom;
import dev.culvert.protocol.wire.ResponseMessage;
import dev.culvert.protocol.wire.TransportMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import javax.crypto.AEADBadTagException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * One remote peer: its handshake, its three keypairs ({@link Keypairs}), the payloads held while a
 * handshake completes, and its timers ({@link PeerTimers}).
 *
 * <p>Outbound flow: 1. {@link #send} takes a payload from the tunnel pipeline, ideally in a buffer
 * with {@link dev.culvert.protocol.wire.PacketRoom} around it; 2. with a usable current keypair it
 * pads the payload to 16, seals it in place and writes the 16-byte transport header into the
 * headroom, so the same buffer becomes the datagram; 3. otherwise it holds the payload and starts a
 * handshake, and the held payloads go out once the handshake completes.
 *
 * <p>Inbound flow (from {@link Engine#receive}): handshake messages land in
 * {@link #consumeInitiation} / {@link #consumeResponse}; transport messages in
 * {@link #receiveTransport}, which opens the payload in place, checks the replay window, confirms a
 * next keypair, roams the endpoint and delivers the plaintext (a view of the same buffer) to the sink.
 *
 * <p>Everything runs on the engine's one thread.
 */
public final class Peer {
    /** The largest inner payload accepted from a peer: an IP packet's own limit. */
    static final int MAX_INNER_PACKET = 65535;

    private final Engine engine;
    private final RemoteStatic remote;
    private final Handshake handshake;
    private final MacGenerator macs;
    private final InboundSink sink;
    private final int mtu;
    private volatile long persistentKeepaliveNanos;
    private final Counters counters = new Counters();
    private final ArrayDeque<ByteBuf> staged = new ArrayDeque<>();
    private final Keypairs keypairs;
    private final PeerTimers timers;

    private volatile InetSocketAddress endpoint;
    private volatile long lastHandshakeEpochMillis;
    private int handshakeIndex;
    private boolean handshakeIndexHeld;
    private boolean handshakeSentEver;
    private long lastHandshakeSentNanos;
    private boolean deliveredSinceFlush;
    private volatile State state = State.DOWN;
    private volatile String label;

    /** A tunnel's health, from handshake age and traffic (logged on change, exported as a metric). */
    public enum State {
        /** No session yet; handshaking. */
        CONNECTING,
        /** A session exists and the peer answers. */
        UP,
        /** Was up; now sending without hearing back, or re-handshaking unanswered. */
        STALE,
        /** Gave up, or waiting for a peer whose address we do not know to call in. */
        DOWN
    }

    Peer(Engine engine, RemoteStatic remote, PeerOptions options) {
        this.engine = engine;
        this.remote = remote;
        this.handshake = new Handshake(engine.local(), remote, engine.random());
        this.macs = new MacGenerator(remote);
        this.sink = options.sink();
        this.mtu = options.mtu();
        this.persistentKeepaliveNanos = options.persistentKeepaliveNanos();
        this.endpoint = options.endpoint();
        this.keypairs = new Keypairs(engine.indices());
        this.timers = new PeerTimers(this, engine, options);
        updateState();
    }

    /** The tunnel's state as of the last timer tick or event. Safe from any thread. */
    public State state() {
        return state;
    }

    private void updateState() {
        Keypair keypair = keypairs.current();
        State s;
        if (keypair != null && keypair.canSend(engine.now())) {
            s = timers.awaitingReply() ? State.STALE : State.UP;
        } else if (timers.gaveUp()) {
            s = State.DOWN;
        } else if (timers.handshakeInFlight()) {
            s = timers.everUp() ? State.STALE : State.CONNECTING;
        } else if (timers.everUp()) {
            s = State.UP; // idle: the next packet handshakes on demand
        } else {
            s = endpoint == null ? State.DOWN : State.CONNECTING;
        }
        state = s;
    }

    public RemoteStatic remote() {
        return remote;
    }

    /** This peer's counters: bytes, packets, handshakes and drops. Safe from any thread. */
    public Counters counters() {
        return counters;
    }

    /** The address packets go to: configured, or learned from the last authenticated packet. */
    public InetSocketAddress endpoint() {
        return endpoint;
    }

    /**
     * Points the peer at a (re-)resolved configured endpoint, nothing more: for a path that is not ready yet
     * (a stream transport dials first, then calls {@link #transportReady}). Engine thread. The next
     * authenticated packet from elsewhere moves it again, as always.
     */
    public void setEndpoint(InetSocketAddress resolved) {
        if (resolved != null && !resolved.equals(endpoint)) {
            endpoint = resolved;
            updateState();
        }
    }

    /**
     * The configured endpoint's name resolved to a new address — its first, or one that differs from the last
     * answer (issue 13, names that move): unless the peer is already there, it moves there and sends a
     * handshake initiation at once, not waiting out REKEY_TIMEOUT since the last one. A server that moved is
     * usually one that restarted, with no session: a keepalive under the old keys would only be dropped there.
     * For a datagram transport, whose path is ready as soon as the address is known. Engine thread.
     *
     * @return true if the peer moved (and an initiation went out)
     */
    public boolean endpointResolved(InetSocketAddress resolved) {
        if (resolved == null || resolved.equals(endpoint)) {
            return false;
        }
        endpoint = resolved;
        handshakeSentEver = false;
        sendHandshakeInitiation(false, false); // the look-up has just answered: no second one
        updateState();
        return true;
    }

    /** Wall-clock millis of the last completed handshake, 0 if none. Safe from any thread. */
    public long lastHandshakeEpochMillis() {
        return lastHandshakeEpochMillis;
    }

    /** The persistent-keepalive interval in nanoseconds, 0 when off. Safe from any thread. */
    public long persistentKeepaliveNanos() {
        return persistentKeepaliveNanos;
    }

    /**
     * Changes the persistent-keepalive interval of a live peer (a reload), as {@code wg set ... persistent-keepalive}
     * does: the session, the keys and the endpoint stay. The timer starts over from now with the new interval
     * (whitepaper §6.5), or stops when {@code nanos} is 0. Engine thread.
     *
     * @param nanos the new interval in nanoseconds; 0 = off
     * @throws IllegalArgumentException if negative
     */
    public void setPersistentKeepalive(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("persistent keepalive must be >= 0 ns: " + nanos);
        }
        persistentKeepaliveNanos = nanos;
        timers.persistentKeepaliveChanged(engine.now(), nanos);
    }

    /**
     * Changes whether handshakes are retried forever (a reload): the next retry round follows the new setting. A
     * peer that had already given up stays down until traffic or a path asks for a handshake again. Engine thread.
     */
    public void setPersist(boolean persist) {
        timers.persistChanged(persist);
    }

    /** True if a keypair is usable for sending now. */
    public boolean hasSession() {
        Keypair current = keypairs.current();
        return current != null && current.canSend(engine.now());
    }

    /**
     * A path to the endpoint has just come up (a TCP connection, or the tunnel's start): handshake now,
     * even if an initiation went nowhere moments ago (which would otherwise hold the next one back 5 s),
     * and even if a session exists — a server that restarted behind a new connection no longer has its
     * keys, and a keepalive under the old ones would only be dropped there as an unknown index.
     */
    public void transportReady() {
        handshakeSentEver = false;
        if (endpoint != null) {
            sendHandshakeInitiation(false);
        }
        updateState();
    }

    /** Starts the peer: with a known endpoint, handshakes right away (a keepalive pulls one in). */
    public void start() {
        if (endpoint != null) {
            sendKeepalive();
        }
        updateState();
    }

    /** Runs this peer's due timers (whitepaper §6); call every {@link Limits#TICK_NANOS}. */
    public void tick() {
        timers.tick(engine.now());
        updateState();
    }

    // ------------------------------------------------------------------ outbound

    /**
     * Takes a payload from the tunnel pipeline (ownership passes here) and seals and sends it, or
     * holds it until a handshake completes. The pipeline has already checked its size and route.
     */
    public void send(ByteBuf payload) {
        Keypair keypair = keypairs.current();
        long now = engine.now();
        if (keypair != null && keypair.canSend(now) && endpoint != null && staged.isEmpty()) {
            seal(keypair, payload, now);
            keepKeyFreshSending(keypair, now);
        } else {
            stage(payload);
            sendStagedPackets();
        }
    }

    private void stage(ByteBuf packet) {
        if (staged.size() >= Limits.STAGED_PACKETS) {
            drop(staged.poll(), DropReason.STAGED_OVERFLOW);
        }
        staged.add(packet);
    }

    private void sendStagedPackets() {
        long now = engine.now();
        Keypair keypair = keypairs.current();
        if (keypair == null || !keypair.canSend(now) || endpoint == null) {
            sendHandshakeInitiation(false);
            return;
        }
        ByteBuf packet;
        while ((packet = staged.poll()) != null) {
            seal(keypair, packet, now);
        }
        keepKeyFreshSending(keypair, now);
    }

    /** Sends an empty transport message (a keepalive), pulling in a handshake if there is no session. */
    void sendKeepalive() {
        if (staged.isEmpty()) {
            staged.add(Unpooled.EMPTY_BUFFER);
        }
        sendStagedPackets();
    }

    /**
     * Seals {@code payload} in place into a transport message and hands it to the outbound:
     * header into the headroom, padding and tag into the tailroom (copied once into a buffer with
     * room if the caller's has none).
     */
    private void seal(Keypair keypair, ByteBuf payload, long now) {
        int length = payload.readableBytes();
        int padded = paddedLength(length, mtu);
        ByteBuf buf = withRoom(payload, padded);
        int start = buf.readerIndex();
        if (padded > length) {
            buf.setZero(start + length, padded - length);
        }
        long counter = keypair.sendCounter++;
        // The buffer's own NIO view (no allocation); withRoom left the tag's 16 bytes after it.
        keypair.sender.sealInPlace(counter, buf.internalNioBuffer(start, padded));
        int header = start - TransportMessage.HEADER_LENGTH;
        buf.setIntLE(header, MessageType.TRANSPORT)
                .setIntLE(header + TransportMessage.RECEIVER, keypair.remoteIndex)
                .setLongLE(header + TransportMessage.COUNTER, counter);
        buf.setIndex(header, start + padded + TransportMessage.TAG_LENGTH);
        int bytes = buf.readableBytes();
        if (!engine.outbound().send(buf, endpoint)) {
            counters.drop(DropReason.NO_CONNECTION);
            return;
        }
        counters.add(Kind.TX_PACKETS, 1);
        counters.add(Kind.TX_BYTES, bytes);
        timers.anyAuthenticatedPacketTraversal(now);
        timers.anyAuthenticatedPacketSent();
        if (length > 0) {
            timers.dataSent(now);
        }
    }

    /**
     * {@code payload} itself if it has the transport header's room before it and the padding and tag's
     * room after it, in one writable direct buffer of its own; else a copy that has (the original is released).
     */
    private ByteBuf withRoom(ByteBuf payload, int padded) {
        int need = padded + TransportMessage.TAG_LENGTH;
        if (PacketRoom.canPrepend(payload, TransportMessage.HEADER_LENGTH) && payload.isDirect()
                && payload.nioBufferCount() == 1 && payload.capacity() - payload.readerIndex() >= need) {
            return payload;
        }
        ByteBuf copy = engine.alloc().directBuffer(TransportMessage.HEADER_LENGTH + need);
        copy.setIndex(TransportMessage.HEADER_LENGTH, TransportMessage.HEADER_LENGTH);
        copy.writeBytes(payload, payload.readerIndex(), payload.readableBytes());
        payload.release();
        return copy;
    }

    /** Plaintext length after WireGuard's padding: up to a multiple of 16, but never past the MTU. */
    static int paddedLength(int length, int mtu) {
        int padded = (length + Spec.MESSAGE_PADDING_MULTIPLE - 1) & -Spec.MESSAGE_PADDING_MULTIPLE;
        return length <= mtu ? Math.min(padded, mtu) : padded;
    }

    private void keepKeyFreshSending(Keypair keypair, long now) {
        if (keypair.initiator && (Long.compareUnsigned(keypair.sendCounter, Spec.REKEY_AFTER_MESSAGES) > 0
                || now - keypair.createdNanos > Spec.REKEY_AFTER_TIME_NANOS)) {
            sendHandshakeInitiation(false);
        }
    }

    /** Sends an initiation unless one went out less than REKEY_TIMEOUT ago; a retry keeps the attempt count. */
    void sendHandshakeInitiation(boolean retry) {
        sendHandshakeInitiation(retry, true);
    }

    /** @param lookUp whether an unanswered last initiation has the endpoint's name looked up again first */
    private void sendHandshakeInitiation(boolean retry, boolean lookUp) {
        long now = engine.now();
        if (!retry) {
            timers.handshakeRequested();
        }
        if (handshakeSentEver && now - lastHandshakeSentNanos < Spec.REKEY_TIMEOUT_NANOS) {
            return;
        }
        if (lookUp && (retry || timers.handshakeInFlight())) {
            timers.lookUpEndpoint(); // the last initiation went unanswered: the peer may have moved
        }
        InetSocketAddress to = endpoint;
        if (to == null) {
            return;
        }
        handshakeSentEver = true;
        lastHandshakeSentNanos = now;
        releaseHandshakeIndex();
        handshakeIndex = engine.indices().allocate(this);
        handshakeIndexHeld = true;
        byte[] msg = handshake.createInitiation(handshakeIndex, Tai64n.now(engine.time().wallClock()));
        macs.addMacs(msg, InitiationMessage.MAC1, now);
        counters.add(Kind.HANDSHAKES_SENT, 1);
        timers.handshakeInitiated(now);
        engine.outbound().send(Unpooled.wrappedBuffer(msg), to);
    }

    /** REKEY_ATTEMPT_TIME passed without an answer: the held payloads go, the failure is counted. */
    void handshakeGaveUp() {
        counters.add(Kind.HANDSHAKES_FAILED, 1);
        ByteBuf packet;
        while ((packet = staged.poll()) != null) {
            packet.release();
        }
    }

    // ------------------------------------------------------------------ inbound: handshakes

    /** Responder: an initiation whose static key named this peer, mac-checked by the engine. */
    void consumeInitiation(Handshake.Candidate candidate, byte[] msg, InetSocketAddress from) {
        long now = engine.now();
        Handshake.Verdict verdict = handshake.consumeInitiation(candidate, msg, now);
        switch (verdict) {
            case ACCEPTED -> { }
            case DECRYPT_FAILED -> {
                counters.drop(DropReason.DECRYPT_FAILED);
                counters.add(Kind.HANDSHAKES_FAILED, 1);
                return;
            }
            case REPLAYED_TIMESTAMP -> {
                counters.drop(DropReason.REPLAY);
                return;
            }
            case TOO_SOON -> {
                counters.drop(DropReason.RATE_LIMITED);
                return;
            }
        }
        moveTo(from);
        timers.anyAuthenticatedPacketTraversal(now);
        timers.anyAuthenticatedPacketReceived(now);

        releaseHandshakeIndex();
        int index = engine.indices().allocate(this);
        byte[] response = handshake.createResponse(index);
        macs.addMacs(response, ResponseMessage.MAC1, now);
        Keypair keypair = new Keypair(this, handshake.deriveSession(), now);
        engine.indices().replace(index, keypair);
        keypairs.begin(keypair);
        timers.sessionDerived(now);
        timers.anyAuthenticatedPacketTraversal(now);
        timers.anyAuthenticatedPacketSent();
        engine.outbound().send(Unpooled.wrappedBuffer(response), from);
        updateState();
    }

    /** Initiator: a response to our pending initiation, mac-checked by the engine. */
    void consumeResponse(byte[] msg, InetSocketAddress from) {
        if (!handshake.consumeResponse(msg)) {
            counters.drop(DropReason.DECRYPT_FAILED);
            counters.add(Kind.HANDSHAKES_FAILED, 1);
            return;
        }
        responseConsumed(from);
    }

    /** The pending initiation's state, copied for the handshake executor; null if none is pending. */
    Handshake.ResponseState responseState() {
        return handshake.pendingResponseState();
    }

    /**
     * Initiator: the handshake executor checked a response ({@code consumed}, null if it did not authenticate) to
     * the initiation {@code state} was copied from. If a newer initiation replaced that one meanwhile, the response
     * is stale: dropped as {@code unknown_index}, as it would have been had it arrived a moment later.
     */
    void consumeResponse(Handshake.ResponseState state, Handshake.ConsumedResponse consumed, InetSocketAddress from) {
        if (consumed == null) {
            counters.drop(DropReason.DECRYPT_FAILED);
            counters.add(Kind.HANDSHAKES_FAILED, 1);
            return;
        }
        if (!handshake.applyResponse(state, consumed)) {
            counters.drop(DropReason.UNKNOWN_INDEX);
            return;
        }
        responseConsumed(from);
    }

    private void responseConsumed(InetSocketAddress from) {
        long now = engine.now();
        SessionKeys keys = handshake.deriveSession();
        handshakeIndexHeld = false;
        Keypair keypair = new Keypair(this, keys, now);
        engine.indices().replace(keys.localIndex(), keypair);
        keypairs.begin(keypair);
        moveTo(from);
        timers.sessionDerived(now);
        handshakeComplete();
        timers.anyAuthenticatedPacketTraversal(now);
        timers.anyAuthenticatedPacketReceived(now);
        sendKeepalive();
        updateState();
    }

    /** Takes a cookie reply to our last handshake message. */
    void consumeCookieReply(byte[] msg) {
        if (!macs.consumeCookieReply(msg, engine.now())) {
            counters.drop(DropReason.DECRYPT_FAILED);
        }
    }

    /** Whether {@code index} names our handshake in flight. */
    boolean awaitsResponseOn(int index) {
        return handshakeIndexHeld && handshakeIndex == index
                && handshake.stage() == Handshake.Stage.INITIATION_CREATED;
    }

    private void handshakeComplete() {
        timers.handshakeComplete();
        lastHandshakeEpochMillis = engine.time().wallClock().millis();
        counters.add(Kind.HANDSHAKES_COMPLETED, 1);
    }

    private void releaseHandshakeIndex() {
        if (handshakeIndexHeld) {
            engine.indices().remove(handshakeIndex, this);
            handshakeIndexHeld = false;
        }
    }

    // ------------------------------------------------------------------ inbound: transport data

    /**
     * A transport message for one of this peer's keypairs. The datagram stays owned by the caller; on
     * success its bytes are decrypted in place and a retained view of the plaintext goes to the sink.
     */
    void receiveTransport(Keypair keypair, ByteBuf msg, InetSocketAddress from) {
        long now = engine.now();
        int base = msg.readerIndex();
        int length = msg.readableBytes();
        long counter = msg.getLongLE(base + TransportMessage.COUNTER);
        if (!keypair.canReceive(now) || Long.compareUnsigned(counter, Spec.REJECT_AFTER_MESSAGES) >= 0) {
            counters.drop(DropReason.EXPIRED_KEY);
            return;
        }
        int plainLength = length - TransportMessage.OVERHEAD;
        if (plainLength > MAX_INNER_PACKET + Spec.MESSAGE_PADDING_MULTIPLE) {
            counters.drop(DropReason.TOO_BIG);
            return;
        }
        int start = base + TransportMessage.HEADER_LENGTH;
        try {
            keypair.receiver.openInPlace(counter, msg.internalNioBuffer(start, length - TransportMessage.HEADER_LENGTH));
        } catch (AEADBadTagException | RuntimeException e) {
            counters.drop(DropReason.DECRYPT_FAILED);
            return;
        }
        if (!keypair.replay.validateAndRecord(counter)) {
            counters.drop(DropReason.REPLAY);
            return;
        }
        counters.add(Kind.RX_PACKETS, 1);
        counters.add(Kind.RX_BYTES, length);

        if (keypairs.isNext(keypair)) {
            keypairs.confirmNext();
            handshakeComplete();
            sendStagedPackets();
        }
        keepKeyFreshReceiving(now);
        timers.anyAuthenticatedPacketTraversal(now);
        timers.anyAuthenticatedPacketReceived(now);
        moveTo(from);
        updateState();

        if (plainLength == 0) {
            return; // a keepalive
        }
        timers.dataReceived(now);
        msg.setIndex(start, start + plainLength);
        if (!deliveredSinceFlush) {
            deliveredSinceFlush = true;
            engine.delivered(this);
        }
        sink.deliver(msg.retain());
    }

    /** The end of a transport read burst: the sink writes out what it was given. */
    void flushDelivered() {
        deliveredSinceFlush = false;
        sink.flush();
    }

    private void keepKeyFreshReceiving(long now) {
        Keypair keypair = keypairs.current();
        if (keypair != null && keypair.initiator && now - keypair.createdNanos
                > Spec.REJECT_AFTER_TIME_NANOS - Spec.KEEPALIVE_TIMEOUT_NANOS - Spec.REKEY_TIMEOUT_NANOS
                && timers.lastMinuteHandshakeDue()) {
            sendHandshakeInitiation(false);
        }
    }

    /** Wipes every key and the handshake state (zeroKeyMaterial fired). */
    void zeroKeys() {
        keypairs.clear();
        releaseHandshakeIndex();
        handshake.clear();
    }

    /** Releases everything: keypairs, held packets, the secrets of its {@link RemoteStatic}. The peer is unusable afterwards. */
    void close() {
        zeroKeys();
        remote.destroy();
        ByteBuf packet;
        while ((packet = staged.poll()) != null) {
            packet.release();
        }
        timers.stop();
        state = State.DOWN;
    }

    /** Roams to the source of an authenticated packet, telling the transport when it changed. */
    private void moveTo(InetSocketAddress from) {
        InetSocketAddress old = endpoint;
        if (!from.equals(old)) {
            endpoint = from;
            engine.outbound().peerMoved(old, from);
        }
    }

    private void drop(ByteBuf packet, DropReason reason) {
        counters.drop(reason);
        packet.release();
    }

    @Override
    public String toString() {
        String l = label;
        return l != null ? l : "Peer[" + dev.culvert.crypto.Keys.encode(remote.publicKey()) + "]";
    }

    /** Names the peer in log lines, e.g. "tunnel site-b" (default: its public key). */
    public void label(String text) {
        this.label = text;
    }
}
