package dev.culvert.protocol.wire;

/**
 * Transport data (whitepaper §5.4.6):
 * <pre>
 *  0      4          8                 16
 *  +------+----------+-----------------+----------------------------------------+
 *  | 4000 | receiver | counter (u64 LE)| ChaCha20-Poly1305(padded packet) + tag |
 *  | type | idx LE   |                 | (16n + 16 bytes)                       |
 *  +------+----------+-----------------+----------------------------------------+
 * </pre>
 * A keepalive is a transport message with an empty plaintext (32 bytes in all).
 */
public final class TransportMessage {
    private TransportMessage() {}

    public static final int RECEIVER = 4;
    public static final int COUNTER = 8;
    public static final int HEADER_LENGTH = 16;
    /** The Poly1305 tag after the sealed payload. */
    public static final int TAG_LENGTH = dev.culvert.protocol.Spec.AEAD_TAG_LENGTH;
    /** The shortest transport message: a keepalive, header and tag around nothing. */
    public static final int MIN_LENGTH = HEADER_LENGTH + TAG_LENGTH;
    /** Header plus tag: what a transport message adds to its padded plaintext. */
    public static final int OVERHEAD = HEADER_LENGTH + TAG_LENGTH;
}
