package dev.culvert.protocol;

/**
 * One peer's timers (whitepaper §6.1–6.5; the event names follow wireguard-go's {@code timers.go}).
 * The peer reports events ({@link #dataSent}, {@link #handshakeInitiated}, ...); {@link #tick} fires
 * what is due and calls back into the peer to act. Time is the engine's monotonic clock in nanoseconds.
 *
 * <pre>
 *  retransmitHandshake  REKEY_TIMEOUT (+ jitter) after an initiation without a response: resend, up to
 *                       MAX_TIMER_HANDSHAKES; then give up (WireGuard) or, with persist, keep retrying
 *                       with a 5 s → 30 s jittered backoff
 *  sendKeepalive        KEEPALIVE_TIMEOUT after data arrived with nothing sent back: a keepalive
 *  newHandshake         KEEPALIVE + REKEY_TIMEOUT after data was sent with nothing heard back: re-handshake
 *  zeroKeyMaterial      REJECT_AFTER_TIME × 3 after the last session was derived: wipe every key
 *  persistentKeepalive  every persistent-keepalive interval after any authenticated packet; when nothing
 *                       has arrived for KEEPALIVE + REKEY_TIMEOUT by then, the endpoint's name is looked up
 *                       first (an idle tunnel's only sign that its server may have moved)
 * </pre>
 * Engine thread only.
 */
final class PeerTimers {
    /** Backoff between handshake retries once REKEY_ATTEMPT_TIME has passed with persist on. */
    static final long PERSIST_BACKOFF_MIN_NANOS = Spec.REKEY_TIMEOUT_NANOS;
    static final long PERSIST_BACKOFF_MAX_NANOS = 30_000_000_000L;
    /**
     * How long a peer may stay silent before a persistent-keepalive tick looks its endpoint's name up again:
     * KEEPALIVE + REKEY_TIMEOUT, 15 s, the whitepaper's bound for "sent, nothing heard back" (§6.5).
     */
    static final long STALE_NANOS = Spec.KEEPALIVE_TIMEOUT_NANOS + Spec.REKEY_TIMEOUT_NANOS;

    private final Peer peer;
    private final Engine engine;
    private long persistentKeepaliveNanos;
    private boolean persist;
    private final Runnable beforeRetry;

    private final Timer retransmitHandshake = new Timer();
    private final Timer sendKeepalive = new Timer();
    private final Timer newHandshake = new Timer();
    private final Timer zeroKeyMaterial = new Timer();
    private final Timer persistentKeepalive = new Timer();
    private boolean needAnotherKeepalive;
    private boolean sentLastMinuteHandshake;
    private int handshakeAttempts;
    private int persistRound;
    private boolean gaveUp;
    private boolean awaitingReply;
    private boolean everUp;
    /** When anything authenticated last arrived (or when the peer was added, before anything has). */
    private long lastReceivedNanos;

    PeerTimers(Peer peer, Engine engine, PeerOptions options) {
        this.peer = peer;
        this.engine = engine;
        this.lastReceivedNanos = engine.now();
        this.persistentKeepaliveNanos = options.persistentKeepaliveNanos();
        this.persist = options.persist();
        this.beforeRetry = options.beforeRetry();
    }

    // ------------------------------------------------------------------ settings changed live (a reload)

    /** A new persistent-keepalive interval: the timer starts over from {@code now}, or stops at 0. */
    void persistentKeepaliveChanged(long now, long nanos) {
        persistentKeepaliveNanos = nanos;
        if (nanos > 0) {
            persistentKeepalive.mod(now, nanos);
        } else {
            persistentKeepalive.del();
        }
    }

    /** Persist on or off: read at the next retry round. */
    void persistChanged(boolean on) {
        persist = on;
    }

    // ------------------------------------------------------------------ events

    /** A transport message with a non-empty payload went out. */
    void dataSent(long now) {
        if (!newHandshake.pending()) {
            newHandshake.mod(now, Spec.KEEPALIVE_TIMEOUT_NANOS + Spec.REKEY_TIMEOUT_NANOS + engine.jitter());
        }
    }

    /** A transport message with a non-empty payload arrived. */
    void dataReceived(long now) {
        if (!sendKeepalive.pending()) {
            sendKeepalive.mod(now, Spec.KEEPALIVE_TIMEOUT_NANOS);
        } else {
            needAnotherKeepalive = true;
        }
    }

    /** Anything authenticated went out: no separate keepalive is needed. */
    void anyAuthenticatedPacketSent() {
        sendKeepalive.del();
    }

    /** Anything authenticated arrived: the peer is alive, no re-handshake for silence. */
    void anyAuthenticatedPacketReceived(long now) {
        lastReceivedNanos = now;
        newHandshake.del();
        awaitingReply = false;
    }

    /** Anything authenticated went either way: the persistent keepalive starts over. */
    void anyAuthenticatedPacketTraversal(long now) {
        if (persistentKeepaliveNanos > 0) {
            persistentKeepalive.mod(now, persistentKeepaliveNanos);
        }
    }

    /** A new initiation (or a retry) was sent. */
    void handshakeInitiated(long now) {
        anyAuthenticatedPacketTraversal(now);
        anyAuthenticatedPacketSent();
        retransmitHandshake.mod(now, Spec.REKEY_TIMEOUT_NANOS + engine.jitter());
    }

    /** A handshake was asked for afresh (not a retry): the attempt count starts over. */
    void handshakeRequested() {
        handshakeAttempts = 0;
        gaveUp = false;
    }

    /** Our initiation was answered, or the responder's session was confirmed by data. */
    void handshakeComplete() {
        retransmitHandshake.del();
        handshakeAttempts = 0;
        persistRound = 0;
        gaveUp = false;
        awaitingReply = false;
        everUp = true;
        sentLastMinuteHandshake = false;
    }

    /** Session keys were derived (either role): they are wiped if nothing renews them. */
    void sessionDerived(long now) {
        zeroKeyMaterial.mod(now, Spec.REJECT_AFTER_TIME_NANOS * 3);
    }

    /**
     * An initiator's session is close to REJECT_AFTER_TIME: true once per session, when the caller
     * should send the "last minute" handshake.
     */
    boolean lastMinuteHandshakeDue() {
        if (sentLastMinuteHandshake) {
            return false;
        }
        sentLastMinuteHandshake = true;
        return true;
    }

    // ------------------------------------------------------------------ state

    /** Nanoseconds since anything authenticated arrived from the peer (since it was added, if nothing has). */
    long silentFor(long now) {
        return now - lastReceivedNanos;
    }

    boolean handshakeInFlight() {
        return retransmitHandshake.pending();
    }

    boolean gaveUp() {
        return gaveUp;
    }

    boolean awaitingReply() {
        return awaitingReply;
    }

    boolean everUp() {
        return everUp;
    }

    // ------------------------------------------------------------------ firing

    /** Fires whatever is due at {@code now}. */
    void tick(long now) {
        if (retransmitHandshake.fire(now)) {
            retransmit(now);
        }
        if (sendKeepalive.fire(now)) {
            peer.sendKeepalive();
            if (needAnotherKeepalive) {
                needAnotherKeepalive = false;
                sendKeepalive.mod(now, Spec.KEEPALIVE_TIMEOUT_NANOS);
            }
        }
        if (newHandshake.fire(now)) {
            awaitingReply = true;
            lookUpEndpoint(); // silent for the stale timeout: the peer may have moved
            peer.sendHandshakeInitiation(false);
        }
        if (zeroKeyMaterial.fire(now)) {
            peer.zeroKeys();
        }
        if (persistentKeepalive.fire(now) && persistentKeepaliveNanos > 0) {
            if (silentFor(now) >= STALE_NANOS) {
                // An idle tunnel sends only keepalives, which arm no re-handshake (newHandshake follows data):
                // without this it would notice a moved server only at the next rekey, 120 s on (issue 13).
                lookUpEndpoint();
            }
            peer.sendKeepalive();
        }
    }

    private void retransmit(long now) {
        if (handshakeAttempts <= Spec.MAX_TIMER_HANDSHAKES) {
            handshakeAttempts++;
            peer.sendHandshakeInitiation(true);
            return;
        }
        if (persistRound == 0) {
            sendKeepalive.del();
            peer.handshakeGaveUp();
            if (!zeroKeyMaterial.pending()) {
                zeroKeyMaterial.mod(now, Spec.REJECT_AFTER_TIME_NANOS * 3);
            }
        }
        if (!persist) {
            gaveUp = true;
            return;
        }
        // Never give up: one initiation per round, rounds spaced by a jittered exponential backoff.
        peer.sendHandshakeInitiation(true);
        retransmitHandshake.mod(now, persistBackoff(persistRound++));
    }

    /**
     * Before every handshake retry (by the timer, or pulled in by traffic while an initiation is
     * unanswered — see {@link Peer#sendHandshakeInitiation}), every stale re-handshake, and every
     * persistent keepalive of a peer silent for {@link #STALE_NANOS} (issue 13): the endpoint's name is
     * looked up again, so a server that moved is found whether or not traffic keeps asking for handshakes,
     * and on an idle tunnel too. The answer comes back asynchronously; a changed address moves the peer and
     * handshakes at once ({@link Peer#endpointResolved}).
     */
    void lookUpEndpoint() {
        if (beforeRetry != null) {
            beforeRetry.run();
        }
    }

    /** 5 s doubling to 30 s, each stretched by up to 50 %, so retries do not beat in step with other peers'. */
    private long persistBackoff(int round) {
        long base = Math.min(PERSIST_BACKOFF_MAX_NANOS, PERSIST_BACKOFF_MIN_NANOS << Math.min(round, 8));
        double jitter = 1.0 + engine.timerJitter() * 0.5;
        return (long) (base * jitter);
    }

    /** Disarms every timer (the peer is closing). */
    void stop() {
        retransmitHandshake.del();
        sendKeepalive.del();
        newHandshake.del();
        zeroKeyMaterial.del();
        persistentKeepalive.del();
    }
}
