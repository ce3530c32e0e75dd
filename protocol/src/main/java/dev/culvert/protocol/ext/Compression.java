package dev.culvert.protocol.ext;

import io.netty.buffer.ByteBuf;

/**
 * Per-packet, stateless compression (so a lost UDP datagram costs only itself). Implementations
 * must be safe against hostile input: decompression writes at most the declared original length
 * and fails on anything else.
 */
public interface Compression {
    /** The 2-bit code carried in the extension header's flags (1 LZ4, 2 zlib). */
    int code();

    /** The config spelling: "lz4", "zlib:6". */
    String describe();

    /**
     * Compresses {@code src}'s readable bytes into {@code dst} (which has at least
     * {@link #maxCompressedLength} writable bytes). Returns the number written, or -1 if it did not
     * get smaller. Neither buffer's indices change.
     */
    int compress(ByteBuf src, ByteBuf dst, int dstIndex);

    int maxCompressedLength(int length);

    /**
     * Decompresses {@code length} bytes at {@code srcIndex} into {@code dst} (writer index advanced),
     * producing exactly {@code originalLength} bytes.
     *
     * @return false if the input is corrupt or does not produce exactly that many bytes
     */
    boolean decompress(ByteBuf src, int srcIndex, int length, ByteBuf dst, int originalLength);
}
