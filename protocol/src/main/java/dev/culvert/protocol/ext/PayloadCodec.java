package dev.culvert.protocol.ext;

import dev.culvert.protocol.wire.ExtensionHeader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Puts payloads into and takes them out of Culvert's {@link ExtensionHeader}: marks Ethernet frames,
 * compresses when that makes the packet smaller (else sends it as it is), and on receipt decompresses
 * whatever the peer chose — bounded by the caller's limit, so a decompression bomb costs one packet.
 * One per peer, used on the engine's thread.
 */
public final class PayloadCodec {
    /** What {@link #decode} found. */
    public enum Verdict { OK, MALFORMED, UNKNOWN_FLAGS, TOO_BIG, CORRUPT }

    private final boolean ethernet;
    private final Compression compression;
    private final ByteBufAllocator alloc;
    private Lz4Compression lz4;
    private ZlibCompression zlib;

    private Verdict verdict;
    private boolean lastWasEthernet;
    private int lastCompression;

    public PayloadCodec(boolean ethernet, Compression compression, ByteBufAllocator alloc) {
        this.ethernet = ethernet;
        this.compression = compression;
        this.alloc = alloc;
    }

    /** The header plus the (maybe compressed) payload, with room for padding. Releases {@code payload}. */
    public ByteBuf encode(ByteBuf payload) {
        try {
            int length = payload.readableBytes();
            int room = ExtensionHeader.LENGTH + (compression != null ? Math.max(length, compression.maxCompressedLength(length)) : length) + 16;
            ByteBuf out = alloc.directBuffer(room);
            int kind = ethernet ? ExtensionHeader.KIND_ETHERNET : ExtensionHeader.KIND_IP;
            int stored = -1;
            if (compression != null && length > 0) {
                stored = compression.compress(payload, out, ExtensionHeader.LENGTH);
            }
            int flags = kind;
            if (stored >= 0) {
                flags |= compression.code() << ExtensionHeader.COMPRESSION_SHIFT;
            } else {
                out.setBytes(ExtensionHeader.LENGTH, payload, payload.readerIndex(), length);
                stored = length;
            }
            out.setByte(0, ExtensionHeader.MARKER).setByte(ExtensionHeader.FLAGS, flags)
                    .setShort(ExtensionHeader.STORED_LENGTH, stored).setShort(ExtensionHeader.ORIGINAL_LENGTH, length);
            out.writerIndex(ExtensionHeader.LENGTH + stored);
            return out;
        } finally {
            payload.release();
        }
    }

    /** True if a plaintext starts with the extension marker. */
    public static boolean isExtended(ByteBuf plain) {
        return plain.isReadable() && plain.getUnsignedByte(plain.readerIndex()) == ExtensionHeader.MARKER;
    }

    /**
     * Takes the payload out of an extended plaintext. Releases {@code plain} in every case.
     *
     * @param maxOriginal the largest payload this tunnel accepts (device MTU plus link header)
     * @return the payload, or null; {@link #verdict()} says why
     */
    public ByteBuf decode(ByteBuf plain, int maxOriginal) {
        try {
            int base = plain.readerIndex();
            int available = plain.readableBytes();
            if (available < ExtensionHeader.LENGTH) {
                return fail(Verdict.MALFORMED);
            }
            int flags = plain.getUnsignedByte(base + ExtensionHeader.FLAGS);
            int kind = flags & ExtensionHeader.KIND_MASK;
            int code = (flags & ExtensionHeader.COMPRESSION_MASK) >>> ExtensionHeader.COMPRESSION_SHIFT;
            if ((flags & ExtensionHeader.RESERVED_MASK) != 0 || kind > ExtensionHeader.KIND_ETHERNET || code > 2) {
                return fail(Verdict.UNKNOWN_FLAGS);
            }
            int stored = plain.getUnsignedShort(base + ExtensionHeader.STORED_LENGTH);
            int original = plain.getUnsignedShort(base + ExtensionHeader.ORIGINAL_LENGTH);
            if (stored > available - ExtensionHeader.LENGTH) {
                return fail(Verdict.MALFORMED);
            }
            if (original > maxOriginal) {
                return fail(Verdict.TOO_BIG);
            }
            lastWasEthernet = kind == ExtensionHeader.KIND_ETHERNET;
            lastCompression = code;
            int start = base + ExtensionHeader.LENGTH;
            if (code == 0) {
                if (stored != original) {
                    return fail(Verdict.MALFORMED);
                }
                verdict = Verdict.OK;
                return plain.retainedSlice(start, stored);
            }
            ByteBuf out = alloc.directBuffer(Math.max(original, 1));
            if (!decompressor(code).decompress(plain, start, stored, out, original)) {
                out.release();
                return fail(Verdict.CORRUPT);
            }
            verdict = Verdict.OK;
            return out;
        } finally {
            plain.release();
        }
    }

    private ByteBuf fail(Verdict v) {
        verdict = v;
        return null;
    }

    private Compression decompressor(int code) {
        if (code == 1) {
            return lz4 != null ? lz4 : (lz4 = new Lz4Compression());
        }
        return zlib != null ? zlib : (zlib = new ZlibCompression(6));
    }

    public Verdict verdict() {
        return verdict;
    }

    /** Whether the last decoded payload was an Ethernet frame. */
    public boolean lastWasEthernet() {
        return lastWasEthernet;
    }

    /** The compression code of the last decoded payload (0 none, 1 LZ4, 2 zlib). */
    public int lastCompression() {
        return lastCompression;
    }

    /** Our own compression code (0 none). */
    public int ownCompression() {
        return compression == null ? 0 : compression.code();
    }

    public static String describe(int code) {
        return switch (code) {
            case 0 -> "none";
            case 1 -> "lz4";
            default -> "zlib";
        };
    }
}
