package dev.culvert.protocol.ext;

import io.netty.buffer.ByteBuf;

import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/** zlib (RFC 1950) per packet, at a chosen level 1..9; one Deflater/Inflater reused by the owning thread. */
public final class ZlibCompression implements Compression {
    private final int level;
    private final Deflater deflater;
    private final Inflater inflater = new Inflater();

    public ZlibCompression(int level) {
        if (level < 1 || level > 9) {
            throw new IllegalArgumentException("zlib level must be 1..9, got " + level);
        }
        this.level = level;
        this.deflater = new Deflater(level);
    }

    @Override
    public int code() {
        return 2;
    }

    @Override
    public String describe() {
        return "zlib:" + level;
    }

    @Override
    public int maxCompressedLength(int length) {
        return length + (length >> 12) + (length >> 14) + (length >> 25) + 13 + 6;
    }

    @Override
    public int compress(ByteBuf src, ByteBuf dst, int dstIndex) {
        int length = src.readableBytes();
        deflater.reset();
        deflater.setInput(src.nioBuffer(src.readerIndex(), length));
        deflater.finish();
        int n = deflater.deflate(dst.nioBuffer(dstIndex, length));
        if (!deflater.finished() || n >= length) {
            return -1;
        }
        return n;
    }

    @Override
    public boolean decompress(ByteBuf src, int srcIndex, int length, ByteBuf dst, int originalLength) {
        dst.ensureWritable(originalLength);
        inflater.reset();
        inflater.setInput(src.nioBuffer(srcIndex, length));
        try {
            int n = inflater.inflate(dst.nioBuffer(dst.writerIndex(), originalLength));
            // exactly the declared size, and the stream must end there (no bomb hiding beyond the bound)
            if (n != originalLength || !inflater.finished()) {
                return false;
            }
        } catch (DataFormatException e) {
            return false;
        }
        dst.writerIndex(dst.writerIndex() + originalLength);
        return true;
    }
}
