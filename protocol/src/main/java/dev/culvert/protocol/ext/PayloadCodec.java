package dev.culvert.protocol.ext;

import dev.culvert.protocol.wire.ExtensionHeader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import dev.culvert.protocol.wire.PacketRoom;

/**
 * Puts payloads into and takes them out of Culvert's {@link ExtensionHeader}: marks Ethernet frames,
 * compresses when that makes the packet smaller (else sends it as it is), and on receipt decompresses
 * whatever the peer chose — bounded by the caller's limit, so a decompression bomb costs one packet.
 * One per tunnel, used on its event loop.
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

    /**
     * Prepends the extension header to {@code payload}, compressing it when that makes it smaller.
     * Uncompressed, the header is written into the payload's own headroom (no copy) when it has
     * {@link ExtensionHeader#LENGTH} bytes of it; compressed, the result is a new buffer with the same
     * {@link PacketRoom} around it. Ownership of {@code payload} passes here; the result is owned by the caller.
     */
    public ByteBuf encode(ByteBuf payload) {
        int length = payload.readableBytes();
        int flags = ethernet ? ExtensionHeader.KIND_ETHERNET : ExtensionHeader.KIND_IP;
        if (compression != null && length > 0) {
            ByteBuf out = alloc.directBuffer(PacketRoom.HEADROOM + Math.max(length, compression.maxCompressedLength(length))
                    + PacketRoom.TAILROOM);
            int stored = compression.compress(payload, out, PacketRoom.HEADROOM);
            if (stored >= 0) {
                payload.release();
                out.setIndex(PacketRoom.HEADROOM, PacketRoom.HEADROOM + stored);
                return prependHeader(out, flags | compression.code() << ExtensionHeader.COMPRESSION_SHIFT, length);
            }
            out.release();
        }
        ByteBuf buf = payload;
        if (!PacketRoom.canPrepend(payload, ExtensionHeader.LENGTH)) {
            buf = alloc.directBuffer(PacketRoom.HEADROOM + length + PacketRoom.TAILROOM);
            buf.setIndex(PacketRoom.HEADROOM, PacketRoom.HEADROOM).writeBytes(payload, payload.readerIndex(), length);
            payload.release();
        }
        return prependHeader(buf, flags, length);
    }

    private static ByteBuf prependHeader(ByteBuf buf, int flags, int original) {
        int stored = buf.readableBytes();
        int at = buf.readerIndex() - ExtensionHeader.LENGTH;
        buf.setByte(at, ExtensionHeader.MARKER).setByte(at + ExtensionHeader.FLAGS, flags)
                .setShort(at + ExtensionHeader.STORED_LENGTH, stored)
                .setShort(at + ExtensionHeader.ORIGINAL_LENGTH, original);
        return buf.readerIndex(at);
    }

    /** True if a plaintext starts with the extension marker. */
    public static boolean isExtended(ByteBuf plain) {
        return plain.isReadable() && plain.getUnsignedByte(plain.readerIndex()) == ExtensionHeader.MARKER;
    }

    /**
     * Takes the payload out of an extended plaintext (padding may follow it). Ownership of {@code plain}
     * passes here: an uncompressed payload is returned as {@code plain} itself with its indices moved past
     * the header (no copy); a compressed one in a new buffer, and {@code plain} is released; on failure
     * {@code plain} is released and null returned, {@link #verdict()} saying why.
     *
     * @param maxOriginal the largest payload this tunnel accepts (device MTU plus link header), in bytes
     */
    public ByteBuf decode(ByteBuf plain, int maxOriginal) {
        int base = plain.readerIndex();
        int available = plain.readableBytes();
        if (available < ExtensionHeader.LENGTH) {
            return fail(plain, Verdict.MALFORMED);
        }
        int flags = plain.getUnsignedByte(base + ExtensionHeader.FLAGS);
        int kind = flags & ExtensionHeader.KIND_MASK;
        int code = (flags & ExtensionHeader.COMPRESSION_MASK) >>> ExtensionHeader.COMPRESSION_SHIFT;
        if ((flags & ExtensionHeader.RESERVED_MASK) != 0 || kind > ExtensionHeader.KIND_ETHERNET || code > 2) {
            return fail(plain, Verdict.UNKNOWN_FLAGS);
        }
        int stored = plain.getUnsignedShort(base + ExtensionHeader.STORED_LENGTH);
        int original = plain.getUnsignedShort(base + ExtensionHeader.ORIGINAL_LENGTH);
        if (stored > available - ExtensionHeader.LENGTH) {
            return fail(plain, Verdict.MALFORMED);
        }
        if (original > maxOriginal) {
            return fail(plain, Verdict.TOO_BIG);
        }
        lastWasEthernet = kind == ExtensionHeader.KIND_ETHERNET;
        lastCompression = code;
        int start = base + ExtensionHeader.LENGTH;
        if (code == 0) {
            if (stored != original) {
                return fail(plain, Verdict.MALFORMED);
            }
            verdict = Verdict.OK;
            return plain.setIndex(start, start + stored);
        }
        ByteBuf out = alloc.directBuffer(PacketRoom.HEADROOM + Math.max(original, 1) + PacketRoom.TAILROOM);
        out.setIndex(PacketRoom.HEADROOM, PacketRoom.HEADROOM);
        boolean ok = decompressor(code).decompress(plain, start, stored, out, original);
        plain.release();
        if (!ok) {
            out.release();
            verdict = Verdict.CORRUPT;
            return null;
        }
        verdict = Verdict.OK;
        return out;
    }

    private ByteBuf fail(ByteBuf plain, Verdict v) {
        plain.release();
        return fail(v);
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
