package dev.culvert.protocol.wire;

/**
 * Cookie reply, 64 bytes (whitepaper §5.4.7):
 * <pre>
 *  0      4          8                  32                         64
 *  +------+----------+------------------+--------------------------+
 *  | 3000 | receiver | nonce (24)       | encrypted cookie (16+16) |
 *  | type | idx LE   |                  | XChaCha20-Poly1305       |
 *  +------+----------+------------------+--------------------------+
 * </pre>
 */
public final class CookieReplyMessage {
    private CookieReplyMessage() {}

    public static final int RECEIVER = 4;
    public static final int NONCE = 8;
    public static final int COOKIE = 32;
    public static final int COOKIE_LENGTH = 16 + 16;
    public static final int LENGTH = 64;
}
