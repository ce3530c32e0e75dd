package dev.culvert.protocol.wire;

/**
 * Handshake initiation, 148 bytes (whitepaper §5.4.2):
 * <pre>
 *  0      4        8                 40                        88                  116      132      148
 *  +------+--------+-----------------+-------------------------+-------------------+--------+--------+
 *  | 1000 | sender | ephemeral (32)  | encrypted static (32+16)| encrypted TAI64N  | mac1   | mac2   |
 *  | type | idx LE |                 |                         | (12+16)           | (16)   | (16)   |
 *  +------+--------+-----------------+-------------------------+-------------------+--------+--------+
 * </pre>
 */
public final class InitiationMessage {
    private InitiationMessage() {}

    public static final int SENDER = 4;
    public static final int EPHEMERAL = 8;
    public static final int STATIC = 40;
    public static final int STATIC_LENGTH = 32 + 16;
    public static final int TIMESTAMP = 88;
    public static final int TIMESTAMP_LENGTH = 12 + 16;
    public static final int MAC1 = 116;
    public static final int MAC2 = 132;
    public static final int LENGTH = 148;
}
