package dev.culvert.protocol.wire;

import io.netty.buffer.ByteBuf;

/**
 * The first four bytes of every WireGuard message: a type byte followed by three zero bytes,
 * read as a little-endian uint32 (kernel {@code messages.h}, {@code enum message_type}).
 */
public final class MessageType {
    private MessageType() {}

    public static final int INITIATION = 1;
    public static final int RESPONSE = 2;
    public static final int COOKIE_REPLY = 3;
    public static final int TRANSPORT = 4;

    /** Returns the message type, or -1 if the header is short or the reserved bytes are not zero. */
    public static int of(ByteBuf msg) {
        if (msg.readableBytes() < 4) {
            return -1;
        }
        int word = msg.getIntLE(msg.readerIndex());
        return (word & 0xFFFFFF00) == 0 ? word : -1;
    }

    /** Returns the message type, or -1 if the header is short or the reserved bytes are not zero. */
    public static int of(byte[] msg) {
        if (msg.length < 4 || msg[1] != 0 || msg[2] != 0 || msg[3] != 0) {
            return -1;
        }
        return msg[0] & 0xFF;
    }
}
