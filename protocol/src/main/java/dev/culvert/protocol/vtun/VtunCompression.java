package dev.culvert.protocol.vtun;

import io.airlift.compress.MalformedInputException;
import io.airlift.compress.lzo.LzoCompressor;
import io.airlift.compress.lzo.LzoDecompressor;
import java.util.Arrays;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * vtund's compression of each frame (VTUN.md §2.6), before encryption. Decompression never outputs more than
 * {@code bound} bytes: more is a {@link VtunFrameException}. Not thread-safe: one owner thread.
 */
public abstract sealed class VtunCompression {

    /** Compresses one packet. */
    public abstract byte[] compress(byte[] in, int offset, int length);

    /**
     * Decompresses one frame payload into at most {@code bound} bytes.
     *
     * @throws VtunFrameException if it is malformed or would decompress to more than {@code bound} bytes
     */
    public abstract byte[] decompress(byte[] in, int offset, int length, int bound);

    /** Releases native resources (zlib's). */
    public void close() {
    }

    /** The compressor of FLAGS {@code C<level>} or {@code L<level>}, or null for none. */
    public static VtunCompression of(VtunFlags.Compress kind, int level) {
        return switch (kind) {
            case NO -> null;
            case ZLIB -> new Zlib(level);
            case LZO -> new Lzo();
        };
    }

    /**
     * zlib ({@code lfd_zlib.c}): one deflate stream per direction for the whole connection (zlib header first), each
     * frame the output of a {@code Z_SYNC_FLUSH}; one inflater for the other direction. Needs TCP: a lost frame
     * breaks the stream.
     */
    public static final class Zlib extends VtunCompression {
        private final Deflater deflater;
        private final Inflater inflater = new Inflater();
        private final byte[] buffer = new byte[VtunFrames.MAX_PAYLOAD * 2];

        /** @param level 1..9 (vtund's 0 means 1) */
        public Zlib(int level) {
            deflater = new Deflater(Math.max(1, Math.min(9, level)));
        }

        @Override
        public byte[] compress(byte[] in, int offset, int length) {
            deflater.setInput(in, offset, length);
            byte[] out = new byte[0];
            int n;
            do {
                n = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH);
                int old = out.length;
                out = Arrays.copyOf(out, old + n);
                System.arraycopy(buffer, 0, out, old, n);
            } while (n == buffer.length);
            return out;
        }

        @Override
        public byte[] decompress(byte[] in, int offset, int length, int bound) {
            inflater.setInput(in, offset, length);
            byte[] out = new byte[bound + 1];
            int total = 0;
            try {
                while (true) {
                    int n = inflater.inflate(out, total, out.length - total);
                    total += n;
                    if (total > bound) {
                        throw new VtunFrameException("zlib frame decompresses to more than " + bound + " bytes");
                    }
                    if (n == 0) {
                        break;
                    }
                }
            } catch (DataFormatException e) {
                throw new VtunFrameException("zlib frame does not inflate: " + e.getMessage());
            }
            if (inflater.finished() || inflater.needsDictionary() || inflater.getRemaining() > 0) {
                throw new VtunFrameException("zlib frame ends its stream or leaves input unread");
            }
            return Arrays.copyOf(out, total);
        }

        @Override
        public void close() {
            deflater.end();
            inflater.end();
        }
    }

    /**
     * LZO ({@code lfd_lzo.c}): each frame an independent raw LZO1X block. Compressed with aircompressor's LZO1X-1
     * whatever the level (vtund's level 9 uses lzo1x_999, which only compresses harder: any LZO1X decompressor reads
     * both); decompressed with a bounded LZO1X decompressor (vtund's is unchecked).
     */
    public static final class Lzo extends VtunCompression {
        private final LzoCompressor compressor = new LzoCompressor();
        private final LzoDecompressor decompressor = new LzoDecompressor();
        private final byte[] buffer = new byte[new LzoCompressor().maxCompressedLength(VtunFrames.MAX_PAYLOAD * 2)];

        @Override
        public byte[] compress(byte[] in, int offset, int length) {
            int n = compressor.compress(in, offset, length, buffer, 0, buffer.length);
            return Arrays.copyOf(buffer, n);
        }

        @Override
        public byte[] decompress(byte[] in, int offset, int length, int bound) {
            byte[] out = new byte[bound];
            try {
                int n = decompressor.decompress(in, offset, length, out, 0, bound);
                return Arrays.copyOf(out, n);
            } catch (MalformedInputException e) {
                throw new VtunFrameException("lzo frame does not decompress within " + bound + " bytes");
            } catch (RuntimeException e) { // a decoder bug on crafted input must not take the loop down
                throw new VtunFrameException("lzo frame does not decompress (" + e.getClass().getSimpleName() + ")");
            }
        }
    }
}
