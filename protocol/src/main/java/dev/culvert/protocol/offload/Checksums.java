package dev.culvert.protocol.offload;

import io.netty.buffer.ByteBuf;
import io.netty.util.IllegalReferenceCountException;
import io.netty.util.internal.PlatformDependent;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071; incremental forms RFC 1624) over {@link ByteBuf} ranges, and the
 * pseudo-headers TCP and UDP add to it (RFC 793 §3.1 / RFC 768 for IPv4, RFC 8200 §8.1 for IPv6).
 *
 * <p>Sums are carried unfolded in a {@code long} so that many ranges can be added before one
 * {@link #fold}; {@link #finish} gives the value to store in a header (the one's complement of the
 * folded sum). Indexes are absolute; nothing moves reader or writer indexes.
 */
public final class Checksums {
    private Checksums() {}

    /** Ranges at least this long on a buffer with a memory address are summed with native 8-byte loads. */
    private static final int NATIVE_MIN = 64;
    private static final boolean NATIVE = PlatformDependent.hasUnsafe() && PlatformDependent.isUnaligned();
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    /**
     * Adds the 16-bit big-endian words of {@code buf[index, index + length)} to {@code sum}; an odd last byte
     * counts as the high byte of a word padded with zero. Ranges added one after another must each start at
     * an even offset of the checksummed data (all but the last have even length).
     *
     * <p>Reads 8 bytes at a time, 32 per loop in two independent sums; on a buffer with a memory address (a
     * direct buffer where Netty may use {@code Unsafe}) without per-load bounds checks and in native byte order
     * (a one's complement sum is the same in either order up to a byte swap of the result: RFC 1071 §2(B)).
     *
     * @throws IndexOutOfBoundsException if the range is outside the buffer's capacity
     * @throws io.netty.util.IllegalReferenceCountException if the buffer was released
     */
    public static long add(ByteBuf buf, int index, int length, long sum) {
        if (NATIVE && length >= NATIVE_MIN && buf.hasMemoryAddress()) {
            if (buf.refCnt() == 0) {
                throw new IllegalReferenceCountException(0);
            }
            if (index < 0 || length > buf.capacity() - index) {
                throw new IndexOutOfBoundsException("index " + index + " + length " + length + " > capacity "
                        + buf.capacity());
            }
            int words = length & ~7;
            int native16 = fold(addNative(buf.memoryAddress() + index, words));
            sum += LITTLE_ENDIAN ? Integer.reverseBytes(native16) >>> 16 : native16;
            index += words;
            length -= words;
        } else if (length >= NATIVE_MIN && buf.isDirect() && buf.nioBufferCount() == 1) {
            // No Unsafe (Netty's default on Java 25+): the JDK's own ByteBuffer loads, bounds checks hoisted.
            int words = length & ~7;
            ByteBuffer nio = buf.internalNioBuffer(index, words);
            sum += addNio(nio, nio.position(), words);
            index += words;
            length -= words;
        }
        int i = index;
        int end = index + length;
        long a = 0;
        long b = 0;
        while (end - i >= 32) {
            long v = buf.getLong(i);
            long w = buf.getLong(i + 8);
            long y = buf.getLong(i + 16);
            long z = buf.getLong(i + 24);
            a += (v >>> 32) + (v & 0xFFFFFFFFL) + (y >>> 32) + (y & 0xFFFFFFFFL);
            b += (w >>> 32) + (w & 0xFFFFFFFFL) + (z >>> 32) + (z & 0xFFFFFFFFL);
            i += 32;
        }
        sum += a + b;
        while (end - i >= 8) {
            long v = buf.getLong(i);
            sum += (v >>> 32) + (v & 0xFFFFFFFFL);
            i += 8;
        }
        if (end - i >= 4) {
            sum += buf.getUnsignedInt(i);
            i += 4;
        }
        if (end - i >= 2) {
            sum += buf.getUnsignedShort(i);
            i += 2;
        }
        if (i < end) {
            sum += (buf.getUnsignedByte(i) << 8);
        }
        return sum;
    }

    /** As {@link #addNative} on {@code nio[position, position + length)}, big-endian words (its order). */
    private static long addNio(ByteBuffer nio, int position, int length) {
        ByteBuffer be = nio.order() == ByteOrder.BIG_ENDIAN ? nio : nio.duplicate();
        long a = 0;
        long b = 0;
        int p = position;
        int end = position + length;
        while (end - p >= 32) {
            long v = be.getLong(p);
            long w = be.getLong(p + 8);
            long y = be.getLong(p + 16);
            long z = be.getLong(p + 24);
            a += (v >>> 32) + (v & 0xFFFFFFFFL) + (y >>> 32) + (y & 0xFFFFFFFFL);
            b += (w >>> 32) + (w & 0xFFFFFFFFL) + (z >>> 32) + (z & 0xFFFFFFFFL);
            p += 32;
        }
        while (p < end) {
            long v = be.getLong(p);
            a += (v >>> 32) + (v & 0xFFFFFFFFL);
            p += 8;
        }
        return a + b;
    }

    /**
     * The unfolded sum of the 32-bit halves of native-order 8-byte words at {@code [address, address + length)},
     * {@code length} a multiple of 8 (at most 2^31: the sum cannot overflow).
     */
    private static long addNative(long address, int length) {
        long a = 0;
        long b = 0;
        long p = address;
        long end = address + length;
        while (end - p >= 32) {
            long v = PlatformDependent.getLong(p);
            long w = PlatformDependent.getLong(p + 8);
            long y = PlatformDependent.getLong(p + 16);
            long z = PlatformDependent.getLong(p + 24);
            a += (v >>> 32) + (v & 0xFFFFFFFFL) + (y >>> 32) + (y & 0xFFFFFFFFL);
            b += (w >>> 32) + (w & 0xFFFFFFFFL) + (z >>> 32) + (z & 0xFFFFFFFFL);
            p += 32;
        }
        while (p < end) {
            long v = PlatformDependent.getLong(p);
            a += (v >>> 32) + (v & 0xFFFFFFFFL);
            p += 8;
        }
        return a + b;
    }

    /** Folds a carried sum to 16 bits (end-around carry), not complemented. */
    public static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** The value a header stores: the one's complement of the folded sum. */
    public static int finish(long sum) {
        return ~fold(sum) & 0xFFFF;
    }

    /**
     * The IPv4 pseudo-header sum for an upper-layer segment: source and destination of the IPv4 header at
     * {@code ipIndex}, the protocol, and {@code l4Length} (L4 header + payload bytes).
     */
    public static long pseudoHeaderV4(ByteBuf buf, int ipIndex, int protocol, int l4Length) {
        long sum = buf.getUnsignedInt(ipIndex + 12);
        sum = (sum >>> 16) + (sum & 0xFFFF);
        long dst = buf.getUnsignedInt(ipIndex + 16);
        sum += (dst >>> 16) + (dst & 0xFFFF);
        return sum + protocol + l4Length;
    }

    /**
     * The IPv6 pseudo-header sum: source and destination of the IPv6 header at {@code ipIndex}, the
     * upper-layer length {@code l4Length} and the next header value {@code protocol}.
     */
    public static long pseudoHeaderV6(ByteBuf buf, int ipIndex, int protocol, int l4Length) {
        long sum = add(buf, ipIndex + 8, 32, 0);
        return sum + protocol + l4Length;
    }

    /** The IPv4 header checksum of the header at {@code ipIndex} of {@code headerLength} bytes, to store at +10. */
    public static int ipv4Header(ByteBuf buf, int ipIndex, int headerLength) {
        long sum = add(buf, ipIndex, 10, 0);
        sum = add(buf, ipIndex + 12, headerLength - 12, sum);
        return finish(sum);
    }
}
