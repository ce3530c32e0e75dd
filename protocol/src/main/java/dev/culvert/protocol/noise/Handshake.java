package dev.culvert.protocol.noise;

import dev.culvert.crypto.Aead;
import dev.culvert.crypto.Blake2s;
import dev.culvert.crypto.Kdf;
import dev.culvert.crypto.Secrets;
import dev.culvert.crypto.Tai64n;
import dev.culvert.crypto.X25519;
import dev.culvert.protocol.Spec;
import dev.culvert.protocol.wire.InitiationMessage;
import dev.culvert.protocol.wire.MessageType;
import dev.culvert.protocol.wire.ResponseMessage;

import javax.crypto.AEADBadTagException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * One peer's Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake state, both roles (whitepaper §5.4.2,
 * §5.4.3). Message authentication codes (mac1/mac2) are added and checked elsewhere
 * ({@link MacGenerator}, {@link CookieChecker}); this class fills and reads every other byte.
 *
 * <p>Initiator: {@link #createInitiation} then {@link #consumeResponse}. Responder:
 * {@link #decryptInitiation} (static, before the peer is known), {@link #consumeInitiation},
 * {@link #createResponse}. Either way {@link #deriveSession} ends it. A failed step never changes
 * state, so a forged message cannot disturb a handshake in progress. Not thread-safe.
 */
public final class Handshake {
    static final byte[] CONSTRUCTION = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".getBytes(StandardCharsets.US_ASCII);
    static final byte[] IDENTIFIER = "WireGuard v1 zx2c4 Jason@zx2c4.com".getBytes(StandardCharsets.US_ASCII);
    static final byte[] INITIAL_CHAIN_KEY = Blake2s.hash(CONSTRUCTION);
    static final byte[] INITIAL_HASH = Blake2s.hash(INITIAL_CHAIN_KEY, IDENTIFIER);
    private static final byte[] EMPTY = new byte[0];

    /** Where the handshake stands. */
    public enum Stage { NONE, INITIATION_CREATED, INITIATION_CONSUMED, RESPONSE_CREATED, RESPONSE_CONSUMED }

    /** Outcome of {@link #consumeInitiation}. */
    public enum Verdict { ACCEPTED, DECRYPT_FAILED, REPLAYED_TIMESTAMP, TOO_SOON }

    /** An initiation whose static key decrypted: enough to find the peer it claims to be. */
    public record Candidate(byte[] chainKey, byte[] hash, byte[] remoteEphemeral, byte[] remoteStatic, int senderIndex) {}

    private final LocalStatic local;
    private final RemoteStatic remote;
    private final SecureRandom random;

    private Stage stage = Stage.NONE;
    private byte[] hash;
    private byte[] chainKey;
    private byte[] localEphemeral;
    private byte[] remoteEphemeral;
    private int localIndex;
    private int remoteIndex;
    private final byte[] latestTimestamp = new byte[Spec.TIMESTAMP_LENGTH];
    private long lastInitiationConsumedNanos;
    private boolean initiationConsumedBefore;

    public Handshake(LocalStatic local, RemoteStatic remote, SecureRandom random) {
        this.local = local;
        this.remote = remote;
        this.random = random;
    }

    public Stage stage() {
        return stage;
    }

    public int localIndex() {
        return localIndex;
    }

    public RemoteStatic remote() {
        return remote;
    }

    /**
     * Builds a 148-byte initiation, mac fields left zero.
     *
     * @param timestamp the TAI64N timestamp to send (12 bytes)
     */
    public byte[] createInitiation(int senderIndex, byte[] timestamp) {
        byte[] msg = new byte[InitiationMessage.LENGTH];
        msg[0] = MessageType.INITIATION;
        putIntLE(msg, InitiationMessage.SENDER, senderIndex);

        byte[] ck = INITIAL_CHAIN_KEY.clone();
        byte[] h = Blake2s.hash(INITIAL_HASH, remote.publicKeyRef());
        byte[] ephemeral = X25519.generatePrivateKey(random);
        byte[] ephemeralPublic = X25519.publicKey(ephemeral);
        System.arraycopy(ephemeralPublic, 0, msg, InitiationMessage.EPHEMERAL, 32);
        ck = Kdf.kdf(ck, ephemeralPublic, 1)[0];
        h = Blake2s.hash(h, ephemeralPublic);

        byte[][] ckK = Kdf.kdf(ck, dh(ephemeral, remote.publicKeyRef()), 2);
        byte[] encryptedStatic = Aead.seal(ckK[1], 0, local.publicKeyRef(), h);
        System.arraycopy(encryptedStatic, 0, msg, InitiationMessage.STATIC, InitiationMessage.STATIC_LENGTH);
        h = Blake2s.hash(h, encryptedStatic);

        ckK = Kdf.kdf(ckK[0], remote.staticStatic(), 2);
        byte[] encryptedTimestamp = Aead.seal(ckK[1], 0, timestamp, h);
        System.arraycopy(encryptedTimestamp, 0, msg, InitiationMessage.TIMESTAMP, InitiationMessage.TIMESTAMP_LENGTH);
        h = Blake2s.hash(h, encryptedTimestamp);

        wipeEphemeral();
        this.chainKey = ckK[0];
        this.hash = h;
        this.localEphemeral = ephemeral;
        this.localIndex = senderIndex;
        this.stage = Stage.INITIATION_CREATED;
        return msg;
    }

    /**
     * Responder, first half: decrypts the initiator's static key with our own. Needs no peer.
     *
     * @return the candidate, or null if the message is not for us or is corrupt
     */
    public static Candidate decryptInitiation(LocalStatic local, byte[] msg) {
        if (msg.length != InitiationMessage.LENGTH || MessageType.of(msg) != MessageType.INITIATION) {
            return null;
        }
        byte[] h = Blake2s.hash(INITIAL_HASH, local.publicKeyRef());
        byte[] ephemeral = Arrays.copyOfRange(msg, InitiationMessage.EPHEMERAL, InitiationMessage.EPHEMERAL + 32);
        h = Blake2s.hash(h, ephemeral);
        byte[] ck = Kdf.kdf(INITIAL_CHAIN_KEY, ephemeral, 1)[0];
        try {
            byte[][] ckK = Kdf.kdf(ck, X25519.sharedSecret(local.privateKey(), ephemeral), 2);
            byte[] encryptedStatic = Arrays.copyOfRange(msg, InitiationMessage.STATIC,
                    InitiationMessage.STATIC + InitiationMessage.STATIC_LENGTH);
            byte[] remoteStatic = Aead.open(ckK[1], 0, encryptedStatic, h);
            h = Blake2s.hash(h, encryptedStatic);
            return new Candidate(ckK[0], h, ephemeral, remoteStatic, getIntLE(msg, InitiationMessage.SENDER));
        } catch (InvalidKeyException | AEADBadTagException e) {
            return null;
        }
    }

    /**
     * Responder, second half, on the peer whose key the candidate carries: decrypts the timestamp and
     * checks it against replay (it must be newer than any seen) and flooding (one per 20 ms).
     */
    public Verdict consumeInitiation(Candidate candidate, byte[] msg, long nowNanos) {
        byte[][] ckK = Kdf.kdf(candidate.chainKey(), remote.staticStatic(), 2);
        byte[] encryptedTimestamp = Arrays.copyOfRange(msg, InitiationMessage.TIMESTAMP,
                InitiationMessage.TIMESTAMP + InitiationMessage.TIMESTAMP_LENGTH);
        byte[] timestamp;
        try {
            timestamp = Aead.open(ckK[1], 0, encryptedTimestamp, candidate.hash());
        } catch (AEADBadTagException e) {
            return Verdict.DECRYPT_FAILED;
        }
        if (Tai64n.compare(timestamp, latestTimestamp) <= 0) {
            return Verdict.REPLAYED_TIMESTAMP;
        }
        if (initiationConsumedBefore && nowNanos - lastInitiationConsumedNanos < Spec.HANDSHAKE_INITIATION_RATE_NANOS) {
            return Verdict.TOO_SOON;
        }
        System.arraycopy(timestamp, 0, latestTimestamp, 0, Spec.TIMESTAMP_LENGTH);
        lastInitiationConsumedNanos = nowNanos;
        initiationConsumedBefore = true;

        wipeEphemeral();
        this.hash = Blake2s.hash(candidate.hash(), encryptedTimestamp);
        this.chainKey = ckK[0];
        this.remoteEphemeral = candidate.remoteEphemeral();
        this.remoteIndex = candidate.senderIndex();
        this.stage = Stage.INITIATION_CONSUMED;
        return Verdict.ACCEPTED;
    }

    /** Responder: builds the 92-byte response to the consumed initiation, mac fields left zero. */
    public byte[] createResponse(int senderIndex) {
        if (stage != Stage.INITIATION_CONSUMED) {
            throw new IllegalStateException("no initiation to respond to (stage " + stage + ")");
        }
        byte[] msg = new byte[ResponseMessage.LENGTH];
        msg[0] = MessageType.RESPONSE;
        putIntLE(msg, ResponseMessage.SENDER, senderIndex);
        putIntLE(msg, ResponseMessage.RECEIVER, remoteIndex);

        byte[] ephemeral = X25519.generatePrivateKey(random);
        byte[] ephemeralPublic = X25519.publicKey(ephemeral);
        System.arraycopy(ephemeralPublic, 0, msg, ResponseMessage.EPHEMERAL, 32);
        byte[] h = Blake2s.hash(hash, ephemeralPublic);
        byte[] ck = Kdf.kdf(chainKey, ephemeralPublic, 1)[0];
        try {
            ck = Kdf.kdf(ck, X25519.sharedSecret(ephemeral, remoteEphemeral), 1)[0];
            ck = Kdf.kdf(ck, X25519.sharedSecret(ephemeral, remote.publicKeyRef()), 1)[0];
        } catch (InvalidKeyException e) {
            throw new IllegalStateException("low-order key in a consumed initiation", e);
        }
        byte[][] ckTK = Kdf.kdf(ck, remote.presharedKey(), 3);
        h = Blake2s.hash(h, ckTK[1]);
        byte[] encryptedNothing = Aead.seal(ckTK[2], 0, EMPTY, h);
        System.arraycopy(encryptedNothing, 0, msg, ResponseMessage.EMPTY, ResponseMessage.EMPTY_LENGTH);
        h = Blake2s.hash(h, encryptedNothing);

        Secrets.wipe(ephemeral);
        this.hash = h;
        this.chainKey = ckTK[0];
        this.localIndex = senderIndex;
        this.stage = Stage.RESPONSE_CREATED;
        return msg;
    }

    /**
     * What consuming a response needs of the initiator's pending handshake: copies, so that the X25519 work can run
     * on another thread ({@link #consumeResponse(LocalStatic, RemoteStatic, ResponseState, byte[])}) while this
     * handshake stays on its own. The caller wipes it ({@link ResponseState#wipe()}) when done.
     */
    public record ResponseState(byte[] localEphemeral, byte[] chainKey, byte[] hash, int localIndex) {
        /** Zeroes the copied secrets. */
        public void wipe() {
            Secrets.wipe(localEphemeral, chainKey, hash);
        }
    }

    /** What an authenticated response yields: the chaining key and hash after it, and the responder's index. */
    public record ConsumedResponse(byte[] chainKey, byte[] hash, int remoteIndex) {}

    /** The pending initiation's state for {@link #consumeResponse(LocalStatic, RemoteStatic, ResponseState, byte[])}; null if none is pending. */
    public ResponseState pendingResponseState() {
        if (stage != Stage.INITIATION_CREATED) {
            return null;
        }
        return new ResponseState(localEphemeral.clone(), chainKey.clone(), hash.clone(), localIndex);
    }

    /**
     * Initiator, the expensive half (two X25519, whitepaper §5.4.3): authenticates a response to the initiation
     * {@code state} was taken from. Pure: touches no handshake, so any thread may run it.
     *
     * @return the result, or null if the response is not for that initiation or does not authenticate
     */
    public static ConsumedResponse consumeResponse(LocalStatic local, RemoteStatic remote, ResponseState state,
                                                   byte[] msg) {
        if (state == null || msg.length != ResponseMessage.LENGTH || MessageType.of(msg) != MessageType.RESPONSE
                || getIntLE(msg, ResponseMessage.RECEIVER) != state.localIndex()) {
            return null;
        }
        byte[] ephemeral = Arrays.copyOfRange(msg, ResponseMessage.EPHEMERAL, ResponseMessage.EPHEMERAL + 32);
        byte[] h = Blake2s.hash(state.hash(), ephemeral);
        byte[] ck = Kdf.kdf(state.chainKey(), ephemeral, 1)[0];
        try {
            ck = Kdf.kdf(ck, X25519.sharedSecret(state.localEphemeral(), ephemeral), 1)[0];
            ck = Kdf.kdf(ck, X25519.sharedSecret(local.privateKey(), ephemeral), 1)[0];
            byte[][] ckTK = Kdf.kdf(ck, remote.presharedKey(), 3);
            h = Blake2s.hash(h, ckTK[1]);
            byte[] encryptedNothing = Arrays.copyOfRange(msg, ResponseMessage.EMPTY,
                    ResponseMessage.EMPTY + ResponseMessage.EMPTY_LENGTH);
            Aead.open(ckTK[2], 0, encryptedNothing, h);
            return new ConsumedResponse(ckTK[0], Blake2s.hash(h, encryptedNothing), getIntLE(msg, ResponseMessage.SENDER));
        } catch (InvalidKeyException | AEADBadTagException e) {
            return null;
        }
    }

    /**
     * Initiator, the cheap half: takes a consumed response if the initiation it answers is still the pending one
     * (a newer initiation may have replaced it while the response was being checked).
     *
     * @return false, changing nothing, if it is not
     */
    public boolean applyResponse(ResponseState state, ConsumedResponse consumed) {
        if (consumed == null || stage != Stage.INITIATION_CREATED || localIndex != state.localIndex()
                || !Secrets.constantTimeEquals(localEphemeral, state.localEphemeral())) {
            return false;
        }
        this.chainKey = consumed.chainKey();
        this.hash = consumed.hash();
        this.remoteIndex = consumed.remoteIndex();
        this.stage = Stage.RESPONSE_CONSUMED;
        return true;
    }

    /**
     * Initiator: consumes a response addressed to {@link #localIndex()}, both halves at once.
     *
     * @return true if it authenticated; false leaves the pending handshake untouched
     */
    public boolean consumeResponse(byte[] msg) {
        ResponseState state = pendingResponseState();
        if (state == null) {
            return false;
        }
        try {
            return applyResponse(state, consumeResponse(local, remote, state, msg));
        } finally {
            state.wipe();
        }
    }

    /** Derives the transport keys from a completed handshake and forgets the handshake's secrets. */
    public SessionKeys deriveSession() {
        boolean initiator;
        if (stage == Stage.RESPONSE_CONSUMED) {
            initiator = true;
        } else if (stage == Stage.RESPONSE_CREATED) {
            initiator = false;
        } else {
            throw new IllegalStateException("handshake not complete (stage " + stage + ")");
        }
        byte[][] keys = Kdf.kdf(chainKey, EMPTY, 2);
        SessionKeys session = initiator
                ? new SessionKeys(keys[0], keys[1], localIndex, remoteIndex, true)
                : new SessionKeys(keys[1], keys[0], localIndex, remoteIndex, false);
        clear();
        return session;
    }

    /** Abandons any handshake in progress (keeps the replay-protection timestamp). */
    public void clear() {
        wipeEphemeral();
        if (chainKey != null) {
            Secrets.wipe(chainKey, hash);
        }
        chainKey = null;
        hash = null;
        remoteEphemeral = null;
        stage = Stage.NONE;
    }

    private void wipeEphemeral() {
        if (localEphemeral != null) {
            Secrets.wipe(localEphemeral);
            localEphemeral = null;
        }
    }

    private static byte[] dh(byte[] privateKey, byte[] publicKey) {
        try {
            return X25519.sharedSecret(privateKey, publicKey);
        } catch (InvalidKeyException e) {
            throw new IllegalStateException("peer public key is a low-order point", e);
        }
    }

    static void putIntLE(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    static int getIntLE(byte[] b, int off) {
        return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8 | (b[off + 2] & 0xFF) << 16 | (b[off + 3] & 0xFF) << 24;
    }
}
