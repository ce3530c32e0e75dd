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

    /**
     * An initiation whose static key decrypted: enough to find the peer it claims to be. Its chain key is
     * secret: {@link #consumeInitiation} wipes it (and the hash) whatever its verdict; whoever drops a
     * candidate without consuming it calls {@link #wipe()}.
     */
    public record Candidate(byte[] chainKey, byte[] hash, byte[] remoteEphemeral, byte[] remoteStatic, int senderIndex) {
        /** Overwrites the chain key and hash with zeros (the public keys stay). */
        public void wipe() {
            Secrets.wipe(chainKey, hash);
        }
    }

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

        byte[] es = dh(ephemeral, remote.publicKeyRef());
        byte[][] ckK = Kdf.kdf(ck, es, 2);
        Secrets.wipe(ck, es);
        byte[] encryptedStatic = Aead.seal(ckK[1], 0, local.publicKeyRef(), h);
        System.arraycopy(encryptedStatic, 0, msg, InitiationMessage.STATIC, InitiationMessage.STATIC_LENGTH);
        h = Blake2s.hash(h, encryptedStatic);

        byte[][] ckK2 = Kdf.kdf(ckK[0], remote.staticStatic(), 2);
        Secrets.wipe(ckK);
        byte[] encryptedTimestamp = Aead.seal(ckK2[1], 0, timestamp, h);
        Secrets.wipe(ckK2[1]);
        System.arraycopy(encryptedTimestamp, 0, msg, InitiationMessage.TIMESTAMP, InitiationMessage.TIMESTAMP_LENGTH);
        h = Blake2s.hash(h, encryptedTimestamp);

        wipeEphemeral();
        wipeState();
        this.chainKey = ckK2[0];
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
        byte[] es = null;
        byte[][] ckK = null;
        try {
            es = X25519.sharedSecret(local.privateKey(), ephemeral);
            ckK = Kdf.kdf(ck, es, 2);
            byte[] encryptedStatic = Arrays.copyOfRange(msg, InitiationMessage.STATIC,
                    InitiationMessage.STATIC + InitiationMessage.STATIC_LENGTH);
            byte[] remoteStatic = Aead.open(ckK[1], 0, encryptedStatic, h);
            h = Blake2s.hash(h, encryptedStatic);
            Candidate candidate = new Candidate(ckK[0], h, ephemeral, remoteStatic, getIntLE(msg, InitiationMessage.SENDER));
            ckK[0] = null; // the candidate's now
            return candidate;
        } catch (InvalidKeyException | AEADBadTagException e) {
            return null;
        } finally {
            Secrets.wipe(ck, es);
            if (ckK != null) {
                Secrets.wipe(ckK);
            }
        }
    }

    /**
     * Responder, second half, on the peer whose key the candidate carries: decrypts the timestamp and
     * checks it against replay (it must be newer than any seen) and flooding (one per 20 ms).
     */
    public Verdict consumeInitiation(Candidate candidate, byte[] msg, long nowNanos) {
        byte[][] ckK = Kdf.kdf(candidate.chainKey(), remote.staticStatic(), 2);
        try {
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
            wipeState();
            this.hash = Blake2s.hash(candidate.hash(), encryptedTimestamp);
            this.chainKey = ckK[0];
            ckK[0] = null; // the state's now
            this.remoteEphemeral = candidate.remoteEphemeral();
            this.remoteIndex = candidate.senderIndex();
            this.stage = Stage.INITIATION_CONSUMED;
            return Verdict.ACCEPTED;
        } finally {
            Secrets.wipe(ckK);
            candidate.wipe();
        }
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
        byte[] ee = null;
        byte[] se = null;
        try {
            ee = X25519.sharedSecret(ephemeral, remoteEphemeral);
            ck = ratchet(ck, ee);
            se = X25519.sharedSecret(ephemeral, remote.publicKeyRef());
            ck = ratchet(ck, se);
        } catch (InvalidKeyException e) {
            Secrets.wipe(ck, ephemeral);
            throw new IllegalStateException("low-order key in a consumed initiation", e);
        } finally {
            Secrets.wipe(ee, se);
        }
        byte[][] ckTK = Kdf.kdf(ck, remote.presharedKey(), 3);
        Secrets.wipe(ck);
        h = Blake2s.hash(h, ckTK[1]);
        byte[] encryptedNothing = Aead.seal(ckTK[2], 0, EMPTY, h);
        Secrets.wipe(ckTK[1], ckTK[2]);
        System.arraycopy(encryptedNothing, 0, msg, ResponseMessage.EMPTY, ResponseMessage.EMPTY_LENGTH);
        h = Blake2s.hash(h, encryptedNothing);

        Secrets.wipe(ephemeral);
        wipeState();
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
        byte[] ee = null;
        byte[] se = null;
        byte[][] ckTK = null;
        try {
            ee = X25519.sharedSecret(state.localEphemeral(), ephemeral);
            ck = ratchet(ck, ee);
            se = X25519.sharedSecret(local.privateKey(), ephemeral);
            ck = ratchet(ck, se);
            ckTK = Kdf.kdf(ck, remote.presharedKey(), 3);
            h = Blake2s.hash(h, ckTK[1]);
            byte[] encryptedNothing = Arrays.copyOfRange(msg, ResponseMessage.EMPTY,
                    ResponseMessage.EMPTY + ResponseMessage.EMPTY_LENGTH);
            Aead.open(ckTK[2], 0, encryptedNothing, h);
            ConsumedResponse consumed = new ConsumedResponse(ckTK[0], Blake2s.hash(h, encryptedNothing),
                    getIntLE(msg, ResponseMessage.SENDER));
            ckTK[0] = null; // the result's now
            return consumed;
        } catch (InvalidKeyException | AEADBadTagException e) {
            return null;
        } finally {
            Secrets.wipe(ck, ee, se);
            if (ckTK != null) {
                Secrets.wipe(ckTK);
            }
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
        wipeState();
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
        wipeState();
        remoteEphemeral = null;
        stage = Stage.NONE;
    }

    /** The chain key the state holds (not a copy), or null; for tests of the wiping. */
    byte[] chainKeyRef() {
        return chainKey;
    }

    /** Wipes the chain key and hash a step is about to replace (or {@link #clear()} drops). */
    private void wipeState() {
        Secrets.wipe(chainKey, hash);
        chainKey = null;
        hash = null;
    }

    /** KDF1 of the chain key with {@code input}; the old chain key is wiped. */
    private static byte[] ratchet(byte[] chainKey, byte[] input) {
        byte[] next = Kdf.kdf(chainKey, input, 1)[0];
        Secrets.wipe(chainKey);
        return next;
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
