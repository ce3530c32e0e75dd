package dev.culvert.protocol.wire;

/**
 * Handshake response, 92 bytes (whitepaper §5.4.3):
 * <pre>
 *  0      4        8          12                44              60       76       92
 *  +------+--------+----------+-----------------+---------------+--------+--------+
 *  | 2000 | sender | receiver | ephemeral (32)  | encrypted     | mac1   | mac2   |
 *  | type | idx LE | idx LE   |                 | nothing (16)  | (16)   | (16)   |
 *  +------+--------+----------+-----------------+---------------+--------+--------+
 * </pre>
 */
public final class ResponseMessage {
    private ResponseMessage() {}

    public static final int SENDER = 4;
    public static final int RECEIVER = 8;
    public static final int EPHEMERAL = 12;
    public static final int EMPTY = 44;
    public static final int EMPTY_LENGTH = 16;
    public static final int MAC1 = 60;
    public static final int MAC2 = 76;
    public static final int LENGTH = 92;
}
