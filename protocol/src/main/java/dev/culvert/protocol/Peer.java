package dev.culvert.protocol;

import dev.culvert.crypto.Tai64n;
import dev.culvert.protocol.Counters.Kind;
import dev.culvert.protocol.ext.PayloadCodec;
import dev.culvert.protocol.noise.Handshake;
import dev.culvert.protocol.noise.MacGenerator;
import dev.culvert.protocol.noise.RemoteStatic;
import dev.culvert.protocol.noise.SessionKeys;
import dev.culvert.protocol.wire.InitiationMessage;
import dev.culvert.protocol.wire.MessageType;
import dev.culvert.protocol.wire.ResponseMessage;
import dev.culvert.protocol.wire.TransportMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import javax.crypto.AEADBadTagException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * One remote peer: its handshake, up to three keypairs (previous, current, next), the packets held
 * while a handshake completes, and the timers of whitepaper §6.
 *
 * <p>Outbound flow: 1. {@link #send} takes an inner packet read from the device; 2. checks its size
 * and that the destination is in the peer's allowed IPs; 3. with a usable current keypair, pads it
 * to 16 and encrypts it into a transport message for the endpoint; otherwise 4. holds it and starts
 * a handshake, and the held packets go out once the handshake completes.
 *
 * <p>Inbound flow (from {@link Engine#receive}): handshake messages land in
 * {@link #consumeInitiation} / {@link #consumeResponse}; transport messages in
 * {@link #receiveTransport}, which decrypts, checks the replay window, rotates a confirmed next
 * keypair in, roams the endpoint, checks the inner source against allowed IPs, and delivers.
 *
 * <p>Everything runs on the engine's one thread.
 */
public final class Peer {
    /** The largest inner packet accepted from a peer: an IP packet's own limit. */
    static final int MAX_INNER_PACKET = 65535;
    /** Ethernet header with one VLAN tag: what a tap frame may carry beyond the MTU. */
    static final int ETHERNET_HEADROOM = 18;
    private static final System.Logger LOG = System.getLogger("culvert.peer");

    private final Engine engine;
    private final RemoteStatic remote;
    private final Handshake handshake;
    private final MacGenerator macs;
    private final AllowedIps allowedIps;
    private final InboundSink sink;
    private final int mtu;
    private final long persistentKeepaliveNanos;
    private final Counters counters = new Counters();
    private final ArrayDeque<ByteBuf> staged = new ArrayDeque<>();
    private final boolean ethernet;
    private final boolean extended;
    private final PayloadCodec codec;
    private boolean modeMismatchLogged;
    private boolean compressionMismatchLogged;
    private boolean unknownExtensionLogged;

    private volatile InetSocketAddress endpoint;
    private volatile long lastHandshakeEpochMillis;
    private Keypair previous;
    private Keypair current;
    private Keypair next;
    private int handshakeIndex;
    private boolean handshakeIndexHeld;

    private final Timer retransmitHandshake = new Timer();
    private final Timer sendKeepalive = new Timer();
    private final Timer newHandshake = new Timer();
    private final Timer zeroKeyMaterial = new Timer();
    private final Timer persistentKeepalive = new Timer();
    private boolean needAnotherKeepalive;
    private boolean sentLastMinuteHandshake;
    private int handshakeAttempts;
    private boolean handshakeSentEver;
    private long lastHandshakeSentNanos;
    private final boolean persist;
    private final Runnable beforeRetry;
    private int persistRound;
    private boolean gaveUp;
    private boolean awaitingReply;
    private boolean everUp;
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

    /** Backoff between handshake retries once REKEY_ATTEMPT_TIME has passed with persist on. */
    static final long PERSIST_BACKOFF_MIN_NANOS = Spec.REKEY_TIMEOUT_NANOS;
    static final long PERSIST_BACKOFF_MAX_NANOS = 30_000_000_000L;

    Peer(Engine engine, RemoteStatic remote, PeerOptions options) {
        this.engine = engine;
        this.remote = remote;
        this.handshake = new Handshake(engine.local(), remote, engine.random());
        this.macs = new MacGenerator(remote);
        this.allowedIps = options.allowedIps();
        this.sink = options.sink();
        this.mtu = options.mtu();
        this.persistentKeepaliveNanos = options.persistentKeepaliveNanos();
        this.endpoint = options.endpoint();
        this.ethernet = options.ethernet();
        this.extended = options.extended();
        this.codec = new PayloadCodec(options.ethernet(), options.compression(), engine.alloc());
        this.persist = options.persist();
        this.beforeRetry = options.beforeRetry();
    }

    /** The tunnel's state as of the last timer tick or event. Safe from any thread. */
    public State state() {
        return state;
    }

    private void updateState(long now) {
        Keypair keypair = current;
        State s;
        if (keypair != null && keypair.canSend(now)) {
            s = awaitingReply ? State.STALE : State.UP;
        } else if (gaveUp) {
            s = State.DOWN;
        } else if (retransmitHandshake.pending()) {
            s = everUp ? State.STALE : State.CONNECTING;
        } else if (everUp) {
            s = State.UP; // idle: the next packet handshakes on demand
        } else {
            s = endpoint == null ? State.DOWN : State.CONNECTING;
        }
        state = s;
    }

    public RemoteStatic remote() {
        return remote;
    }

    public Counters counters() {
        return counters;
    }

    /** The address packets go to: configured, or learned from the last authenticated packet. */
    public InetSocketAddress endpoint() {
        return endpoint;
    }

    /**
     * Points the peer at a (re-)resolved configured endpoint. Engine thread. The next authenticated
     * packet from elsewhere moves it again, as always.
     */
    public void setEndpoint(InetSocketAddress resolved) {
        if (resolved != null && !resolved.equals(endpoint)) {
            endpoint = resolved;
        }
    }

    /** Wall-clock millis of the last completed handshake, 0 if none. Safe from any thread. */
    public long lastHandshakeEpochMillis() {
        return lastHandshakeEpochMillis;
    }

    public long persistentKeepaliveNanos() {
        return persistentKeepaliveNanos;
    }

    /** True if a keypair is usable for sending now. */
    public boolean hasSession() {
        return current != null && current.canSend(engine.now());
    }

    /**
     * The transport to the endpoint has just come up (a TCP connection): handshake now, even if an
     * initiation went nowhere moments ago (which would otherwise hold the next one back 5 s).
     */
    public void transportReady() {
        handshakeSentEver = false;
        start();
    }

    /** Starts the peer: with a known endpoint, handshakes right away (a keepalive pulls one in). */
    public void start() {
        if (endpoint != null) {
            sendKeepalive();
        }
    }

    // ------------------------------------------------------------------ outbound

    /** Takes an inner packet from the device (ownership passes here) and sends or holds it. */
    public void send(ByteBuf packet) {
        int length = packet.readableBytes();
        if (length > maxPayload()) {
            drop(packet, DropReason.TOO_BIG);
            return;
        }
        if (!ethernet) {
            int version = length > 0 ? (packet.getByte(packet.readerIndex()) & 0xF0) >>> 4 : 0;
            int dst = packet.readerIndex();
            if (version == 4 && length >= 20) {
                dst += 16;
            } else if (version == 6 && length >= 40) {
                dst += 24;
            } else {
                drop(packet, DropReason.MALFORMED);
                return;
            }
            if (!allowedIps.contains(packet, dst, version == 4 ? 4 : 16)) {
                drop(packet, DropReason.NO_ROUTE);
                return;
            }
        }
        if (extended) {
            packet = codec.encode(packet);
        }
        Keypair keypair = current;
        long now = engine.now();
        if (keypair != null && keypair.canSend(now) && endpoint != null && staged.isEmpty()) {
            encryptAndSend(keypair, packet, now);
            keepKeyFreshSending(keypair, now);
        } else {
            stage(packet);
            sendStagedPackets();
        }
    }

    /** The largest payload the device hands over: the MTU, plus the Ethernet header (and a VLAN tag) on tap. */
    private int maxPayload() {
        return ethernet ? mtu + ETHERNET_HEADROOM : mtu;
    }

    private void stage(ByteBuf packet) {
        if (staged.size() >= Limits.STAGED_PACKETS) {
            drop(staged.poll(), DropReason.STAGED_OVERFLOW);
        }
        staged.add(packet);
    }

    private void sendStagedPackets() {
        long now = engine.now();
        Keypair keypair = current;
        if (keypair == null || !keypair.canSend(now) || endpoint == null) {
            sendHandshakeInitiation(false);
            return;
        }
        ByteBuf packet;
        while ((packet = staged.poll()) != null) {
            encryptAndSend(keypair, packet, now);
        }
        keepKeyFreshSending(keypair, now);
    }

    private void sendKeepalive() {
        if (staged.isEmpty()) {
            staged.add(Unpooled.EMPTY_BUFFER);
        }
        sendStagedPackets();
    }

    private void encryptAndSend(Keypair keypair, ByteBuf packet, long now) {
        try {
            int length = packet.readableBytes();
            int padded = paddedLength(length, mtu);
            ByteBuf out = engine.alloc().directBuffer(TransportMessage.OVERHEAD + padded);
            long counter = keypair.sendCounter++;
            out.writeIntLE(MessageType.TRANSPORT).writeIntLE(keypair.remoteIndex).writeLongLE(counter);
            if (padded > length) {
                packet.ensureWritable(padded - length).writeZero(padded - length);
            }
            keypair.sender.seal(counter, packet.internalNioBuffer(packet.readerIndex(), packet.readableBytes()),
                    out.internalNioBuffer(TransportMessage.HEADER_LENGTH,
                    padded + TransportMessage.OVERHEAD - TransportMessage.HEADER_LENGTH));
            out.writerIndex(TransportMessage.OVERHEAD + padded);
            counters.add(Kind.TX_PACKETS, 1);
            counters.add(Kind.TX_BYTES, out.readableBytes());
            engine.outbound().send(out, endpoint);
            anyAuthenticatedPacketTraversal(now);
            sendKeepalive.del();
            if (length > 0) {
                dataSent(now);
            }
        } finally {
            packet.release();
        }
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

    private void sendHandshakeInitiation(boolean retry) {
        long now = engine.now();
        if (!retry) {
            handshakeAttempts = 0;
            gaveUp = false;
        }
        if (handshakeSentEver && now - lastHandshakeSentNanos < Spec.REKEY_TIMEOUT_NANOS) {
            return;
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
        anyAuthenticatedPacketTraversal(now);
        sendKeepalive.del();
        engine.outbound().send(Unpooled.wrappedBuffer(msg), to);
        retransmitHandshake.mod(now, Spec.REKEY_TIMEOUT_NANOS + engine.jitter());
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
        anyAuthenticatedPacketTraversal(now);
        newHandshake.del();

        releaseHandshakeIndex();
        int index = engine.indices().allocate(this);
        byte[] response = handshake.createResponse(index);
        macs.addMacs(response, ResponseMessage.MAC1, now);
        Keypair keypair = new Keypair(this, handshake.deriveSession(), now);
        engine.indices().replace(index, keypair);
        beginSession(keypair);
        zeroKeyMaterial.mod(now, Spec.REJECT_AFTER_TIME_NANOS * 3);
        anyAuthenticatedPacketTraversal(now);
        sendKeepalive.del();
        engine.outbound().send(Unpooled.wrappedBuffer(response), from);
    }

    /** Initiator: a response to our pending initiation, mac-checked by the engine. */
    void consumeResponse(byte[] msg, InetSocketAddress from) {
        long now = engine.now();
        if (!handshake.consumeResponse(msg)) {
            counters.drop(DropReason.DECRYPT_FAILED);
            counters.add(Kind.HANDSHAKES_FAILED, 1);
            return;
        }
        SessionKeys keys = handshake.deriveSession();
        handshakeIndexHeld = false;
        Keypair keypair = new Keypair(this, keys, now);
        engine.indices().replace(keys.localIndex(), keypair);
        beginSession(keypair);
        moveTo(from);
        zeroKeyMaterial.mod(now, Spec.REJECT_AFTER_TIME_NANOS * 3);
        handshakeComplete(now);
        anyAuthenticatedPacketTraversal(now);
        newHandshake.del();
        sendKeepalive();
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

    private void beginSession(Keypair keypair) {
        if (keypair.initiator) {
            if (next != null) {
                Keypair oldNext = next;
                next = null;
                deleteKeypair(previous);
                previous = oldNext;
                deleteKeypair(current);
            } else {
                deleteKeypair(previous);
                previous = current;
            }
            current = keypair;
        } else {
            deleteKeypair(next);
            next = keypair;
            deleteKeypair(previous);
            previous = null;
        }
    }

    private void deleteKeypair(Keypair keypair) {
        if (keypair != null) {
            engine.indices().remove(keypair.localIndex, keypair);
            keypair.destroy();
        }
    }

    private void releaseHandshakeIndex() {
        if (handshakeIndexHeld) {
            engine.indices().remove(handshakeIndex, this);
            handshakeIndexHeld = false;
        }
    }

    // ------------------------------------------------------------------ inbound: transport data

    /** A transport message for one of this peer's keypairs. The datagram stays owned by the caller. */
    void receiveTransport(Keypair keypair, ByteBuf msg, InetSocketAddress from) {
        long now = engine.now();
        int length = msg.readableBytes();
        long counter = msg.getLongLE(msg.readerIndex() + TransportMessage.COUNTER);
        if (!keypair.canReceive(now) || Long.compareUnsigned(counter, Spec.REJECT_AFTER_MESSAGES) >= 0) {
            counters.drop(DropReason.EXPIRED_KEY);
            return;
        }
        int plainLength = length - TransportMessage.OVERHEAD;
        if (plainLength > MAX_INNER_PACKET + Spec.MESSAGE_PADDING_MULTIPLE) {
            counters.drop(DropReason.TOO_BIG);
            return;
        }
        ByteBuf plain = engine.alloc().directBuffer(Math.max(plainLength, 1));
        try {
            keypair.receiver.open(counter,
                    msg.internalNioBuffer(msg.readerIndex() + TransportMessage.HEADER_LENGTH,
                            length - TransportMessage.HEADER_LENGTH),
                    plain.internalNioBuffer(0, plainLength));
        } catch (AEADBadTagException | RuntimeException e) {
            plain.release();
            counters.drop(DropReason.DECRYPT_FAILED);
            return;
        }
        if (!keypair.replay.validateAndRecord(counter)) {
            plain.release();
            counters.drop(DropReason.REPLAY);
            return;
        }
        plain.writerIndex(plainLength);
        counters.add(Kind.RX_PACKETS, 1);
        counters.add(Kind.RX_BYTES, length);

        if (keypair == next) {
            deleteKeypair(previous);
            previous = current;
            current = next;
            next = null;
            handshakeComplete(now);
            sendStagedPackets();
        }
        keepKeyFreshReceiving(now);
        anyAuthenticatedPacketTraversal(now);
        newHandshake.del();
        awaitingReply = false;
        moveTo(from);

        if (plainLength == 0) {
            plain.release();
            return;
        }
        dataReceived(now);
        deliver(plain);
    }

    private void deliver(ByteBuf plain) {
        if (PayloadCodec.isExtended(plain)) {
            deliverExtended(plain);
        } else if (ethernet) {
            mismatch(plain, "the peer sends plain IP packets but this tunnel is tap (mode mismatch)");
        } else {
            deliverIp(plain);
        }
    }

    private void deliverExtended(ByteBuf plain) {
        ByteBuf payload = codec.decode(plain, ethernet ? mtu + ETHERNET_HEADROOM : MAX_INNER_PACKET);
        if (payload == null) {
            switch (codec.verdict()) {
                case TOO_BIG -> counters.drop(DropReason.TOO_BIG);
                case UNKNOWN_FLAGS -> {
                    counters.drop(DropReason.MALFORMED);
                    if (!unknownExtensionLogged) {
                        unknownExtensionLogged = true;
                        LOG.log(System.Logger.Level.WARNING, "{0}: dropping packets with extension flags this "
                                + "version does not know (is the peer a newer Culvert?)", this);
                    }
                }
                default -> counters.drop(DropReason.MALFORMED);
            }
            return;
        }
        // Only a compressed packet says anything: an uncompressed one may just not have shrunk.
        if (codec.lastCompression() != 0 && codec.lastCompression() != codec.ownCompression()
                && !compressionMismatchLogged) {
            compressionMismatchLogged = true;
            LOG.log(System.Logger.Level.INFO, "{0}: the peer compresses with {1}, this tunnel with {2}; "
                    + "both are understood, but the two configs differ", this,
                    PayloadCodec.describe(codec.lastCompression()), PayloadCodec.describe(codec.ownCompression()));
        }
        if (codec.lastWasEthernet() != ethernet) {
            mismatch(payload, ethernet ? "the peer sends IP packets but this tunnel is tap (mode mismatch)"
                    : "the peer sends Ethernet frames but this tunnel is tun (mode mismatch)");
        } else if (ethernet) {
            sink.deliver(payload);
        } else {
            deliverIp(payload);
        }
    }

    private void mismatch(ByteBuf payload, String what) {
        counters.drop(DropReason.MODE_MISMATCH);
        payload.release();
        if (!modeMismatchLogged) {
            modeMismatchLogged = true;
            LOG.log(System.Logger.Level.WARNING, "{0}: {1}; check device.mode on both sites", this, what);
        }
    }

    private void deliverIp(ByteBuf plain) {
        int length = plain.readableBytes();
        int base = plain.readerIndex();
        int version = length > 0 ? (plain.getByte(base) & 0xF0) >>> 4 : 0;
        int total;
        int src;
        int addressLength;
        if (version == 4 && length >= 20) {
            total = plain.getUnsignedShort(base + 2);
            src = 12;
            addressLength = 4;
        } else if (version == 6 && length >= 40) {
            total = 40 + plain.getUnsignedShort(base + 4);
            src = 8;
            addressLength = 16;
        } else {
            drop(plain, DropReason.MALFORMED);
            return;
        }
        if (total > length || total < (version == 4 ? 20 : 40)) {
            drop(plain, DropReason.MALFORMED);
            return;
        }
        if (!allowedIps.contains(plain, base + src, addressLength)) {
            drop(plain, DropReason.NOT_ALLOWED_SOURCE);
            return;
        }
        plain.writerIndex(base + total);
        sink.deliver(plain);
    }

    private void keepKeyFreshReceiving(long now) {
        Keypair keypair = current;
        if (keypair != null && keypair.initiator && now - keypair.createdNanos
                > Spec.REJECT_AFTER_TIME_NANOS - Spec.KEEPALIVE_TIMEOUT_NANOS - Spec.REKEY_TIMEOUT_NANOS
                && !sentLastMinuteHandshake) {
            sentLastMinuteHandshake = true;
            sendHandshakeInitiation(false);
        }
    }

    // ------------------------------------------------------------------ timers (whitepaper §6)

    private void dataSent(long now) {
        if (!newHandshake.pending()) {
            newHandshake.mod(now, Spec.KEEPALIVE_TIMEOUT_NANOS + Spec.REKEY_TIMEOUT_NANOS + engine.jitter());
        }
    }

    private void dataReceived(long now) {
        if (!sendKeepalive.pending()) {
            sendKeepalive.mod(now, Spec.KEEPALIVE_TIMEOUT_NANOS);
        } else {
            needAnotherKeepalive = true;
        }
    }

    private void handshakeComplete(long now) {
        retransmitHandshake.del();
        handshakeAttempts = 0;
        persistRound = 0;
        gaveUp = false;
        awaitingReply = false;
        everUp = true;
        sentLastMinuteHandshake = false;
        lastHandshakeEpochMillis = engine.time().wallClock().millis();
        counters.add(Kind.HANDSHAKES_COMPLETED, 1);
    }

    private void anyAuthenticatedPacketTraversal(long now) {
        if (persistentKeepaliveNanos > 0) {
            persistentKeepalive.mod(now, persistentKeepaliveNanos);
        }
    }

    /** Runs whatever timers are due. */
    void tick(long now) {
        if (retransmitHandshake.fire(now)) {
            if (handshakeAttempts > Spec.MAX_TIMER_HANDSHAKES) {
                if (persistRound == 0) {
                    sendKeepalive.del();
                    counters.add(Kind.HANDSHAKES_FAILED, 1);
                    ByteBuf packet;
                    while ((packet = staged.poll()) != null) {
                        packet.release();
                    }
                    if (!zeroKeyMaterial.pending()) {
                        zeroKeyMaterial.mod(now, Spec.REJECT_AFTER_TIME_NANOS * 3);
                    }
                }
                if (persist) {
                    // Never give up: one initiation per round, rounds spaced by a jittered exponential backoff.
                    if (beforeRetry != null) {
                        beforeRetry.run();
                    }
                    sendHandshakeInitiation(true);
                    retransmitHandshake.mod(now, persistBackoff(persistRound++));
                } else {
                    gaveUp = true;
                }
            } else {
                handshakeAttempts++;
                sendHandshakeInitiation(true);
            }
        }
        if (sendKeepalive.fire(now)) {
            sendKeepalive();
            if (needAnotherKeepalive) {
                needAnotherKeepalive = false;
                sendKeepalive.mod(now, Spec.KEEPALIVE_TIMEOUT_NANOS);
            }
        }
        if (newHandshake.fire(now)) {
            awaitingReply = true;
            sendHandshakeInitiation(false);
        }
        if (zeroKeyMaterial.fire(now)) {
            zeroKeys();
        }
        if (persistentKeepalive.fire(now) && persistentKeepaliveNanos > 0) {
            sendKeepalive();
        }
        updateState(now);
    }

    /** 5 s doubling to 30 s, each stretched by up to 50 %, so retries do not beat in step with other peers'. */
    private long persistBackoff(int round) {
        long base = Math.min(PERSIST_BACKOFF_MAX_NANOS, PERSIST_BACKOFF_MIN_NANOS << Math.min(round, 8));
        double jitter = 1.0 + engine.random().nextDouble() * 0.5;
        return (long) (base * jitter);
    }

    private void zeroKeys() {
        deleteKeypair(previous);
        deleteKeypair(current);
        deleteKeypair(next);
        previous = current = next = null;
        releaseHandshakeIndex();
        handshake.clear();
    }

    /** Releases everything: keypairs, held packets. The peer is unusable afterwards. */
    void close() {
        zeroKeys();
        ByteBuf packet;
        while ((packet = staged.poll()) != null) {
            packet.release();
        }
        retransmitHandshake.del();
        sendKeepalive.del();
        newHandshake.del();
        zeroKeyMaterial.del();
        persistentKeepalive.del();
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
