package dev.culvert.protocol;

import io.netty.buffer.ByteBuf;

/** Where a peer's decrypted payloads go: its tunnel pipeline, towards the device. */
public interface InboundSink {
    /**
     * Takes ownership of one decrypted payload (padding included: the pipeline trims it). Called on
     * the engine's thread, possibly many times per transport read burst; not flushed.
     */
    void deliver(ByteBuf payload);

    /** The end of a transport read burst that delivered something here: write it out. */
    void flush();

    /** A sink that hands each payload to {@code consumer} and has nothing to flush (tests, self-test). */
    static InboundSink of(java.util.function.Consumer<ByteBuf> consumer) {
        return new InboundSink() {
            @Override
            public void deliver(ByteBuf payload) {
                consumer.accept(payload);
            }

            @Override
            public void flush() {
            }
        };
    }
}
