package dev.culvert.protocol.ext;

import io.netty.buffer.ByteBuf;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/** LZ4 block format (fast mode), pure Java safe instances: no native code, bounds-checked decompression. */
public final class Lz4Compression implements Compression {
    private static final LZ4Factory FACTORY = LZ4Factory.safeInstance();
    private final LZ4Compressor compressor = FACTORY.fastCompressor();
    private final LZ4SafeDecompressor decompressor = FACTORY.safeDecompressor();

    @Override
    public int code() {
        return 1;
    }

    @Override
    public String describe() {
        return "lz4";
    }

    @Override
    public int maxCompressedLength(int length) {
        return compressor.maxCompressedLength(length);
    }

    @Override
    public int compress(ByteBuf src, ByteBuf dst, int dstIndex) {
        int length = src.readableBytes();
        int max = maxCompressedLength(length);
        int n = compressor.compress(src.nioBuffer(src.readerIndex(), length), 0, length,
                dst.nioBuffer(dstIndex, max), 0, max);
        return n < length ? n : -1;
    }

    @Override
    public boolean decompress(ByteBuf src, int srcIndex, int length, ByteBuf dst, int originalLength) {
        dst.ensureWritable(originalLength);
        try {
            int n = decompressor.decompress(src.nioBuffer(srcIndex, length), 0, length,
                    dst.nioBuffer(dst.writerIndex(), originalLength), 0, originalLength);
            if (n != originalLength) {
                return false;
            }
        } catch (LZ4Exception | IndexOutOfBoundsException e) {
            return false;
        }
        dst.writerIndex(dst.writerIndex() + originalLength);
        return true;
    }
}
