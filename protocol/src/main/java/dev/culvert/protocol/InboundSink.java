package dev.culvert.protocol;

import io.netty.buffer.ByteBuf;

/** Where a peer's decrypted packets go: its tunnel's device. */
public interface InboundSink {
    /** Takes ownership of one inner packet (IP packet, exactly its length). */
    void deliver(ByteBuf packet);
}
