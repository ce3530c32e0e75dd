package dev.culvert.protocol;

/** Why the engine dropped a packet. Every drop is counted under exactly one of these. */
public enum DropReason {
    /** A handshake message whose mac1 is not ours: not for us, or forged. */
    BAD_MAC("bad_mac"),
    /** A transport counter seen before or older than the replay window; or a replayed initiation timestamp. */
    REPLAY("replay"),
    /** AEAD authentication failed. */
    DECRYPT_FAILED("decrypt_failed"),
    /** A decrypted packet whose inner source is outside the peer's allowed IPs. */
    NOT_ALLOWED_SOURCE("not_allowed_source"),
    /** A packet bigger than the device MTU. */
    TOO_BIG("too_big"),
    /** Wrong length, unknown type, not an IP packet. */
    MALFORMED("malformed"),
    /**
     * A handshake refused by a rate: under load, its source (an IPv4 address or an IPv6 /64) is over 20 per
     * second (bursts of 5); or a peer's initiations come closer than 20 ms apart (whitepaper §5.1).
     */
    RATE_LIMITED("rate_limited"),
    /** A handshake without a valid mac2 while under load: answered with a cookie reply instead (whitepaper §5.4.7). */
    UNDER_LOAD("under_load"),
    /** A handshake that found the bounded handshake queue full: the handshake thread is behind (a flood). */
    QUEUE_FULL("queue_full"),
    /** A handshake from a public key that is not one of our peers. */
    UNKNOWN_PEER("unknown_peer"),
    /** A message naming a receiver index we do not have (stale or forged). */
    UNKNOWN_INDEX("unknown_index"),
    /** A keypair past REJECT_AFTER_TIME or its message limit. */
    EXPIRED_KEY("expired_key"),
    /** An outbound packet for an inner destination no peer's allowed IPs cover. */
    NO_ROUTE("no_route"),
    /** An outbound packet for a peer whose endpoint is not known yet. */
    NO_ENDPOINT("no_endpoint"),
    /** A payload of the wrong kind for this tunnel (an IP packet on a tap tunnel, a frame on a tun tunnel). */
    MODE_MISMATCH("mode_mismatch"),
    /** An outbound packet pushed out of the queue held while the handshake completes. */
    STAGED_OVERFLOW("staged_overflow"),
    /** A decrypted packet the device could not take (it was closed, or refused the write). */
    DEVICE_ERROR("device_error"),
    /** A sealed packet the transport had no path for (a TCP connection not up, or the socket closed). */
    NO_CONNECTION("no_connection"),
    /**
     * A TCP connection (counted per connection, not per packet) closed unauthenticated: accepted and no message
     * from it authenticated within 15 s, or too many accepted connections were already waiting to (SECURITY.md);
     * on a vtun-legacy listener: no vtund authentication within 30 s, or 64 already authenticating.
     */
    UNAUTHENTICATED_CONNECTION("unauthenticated_connection"),
    /** A packet from the device whose virtio-net header does not fit it (sizes, types or offsets); see
     *  {@link dev.culvert.protocol.offload.VirtioNetHdr}. */
    BAD_OFFLOAD("bad_offload"),
    /**
     * vtun-legacy: a malformed frame from a vtund peer (a bad header, a frame over vtund's bound, a payload that
     * does not decompress within it); the session is closed (VTUN.md §2.3, {@code generic/tcp_proto.c}).
     */
    VTUN_BAD_FRAME("vtun_bad_frame"),
    /** vtun-legacy: a frame that does not decrypt (bad padding, or the cipher out of step: a lost or forged frame). */
    VTUN_BAD_CIPHERTEXT("vtun_bad_ciphertext"),
    /** vtun-legacy: a connection whose vtund authentication failed (wrong password or session, garbled messages). */
    VTUN_AUTH_FAILED("vtun_auth_failed"),
    /**
     * vtun-legacy: a vtund client asked for a session no server tunnel serves (counted on the interface, as no tunnel
     * is involved; refused with vtund's ERR, the answer to a wrong password too).
     */
    VTUN_UNKNOWN_SESSION("vtun_unknown_session");

    private final String tag;

    DropReason(String tag) {
        this.tag = tag;
    }

    /** The lower-case name used as a metric tag. */
    public String tag() {
        return tag;
    }
}
