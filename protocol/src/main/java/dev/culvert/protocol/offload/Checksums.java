package dev.culvert.protocol.offload;

import io.netty.buffer.ByteBuf;

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

    /**
     * Adds the 16-bit big-endian words of {@code buf[index, index + length)} to {@code sum}; an odd last byte
     * counts as the high byte of a word padded with zero. Ranges added one after another must each start at
     * an even offset of the checksummed data (all but the last have even length).
     */
    public static long add(ByteBuf buf, int index, int length, long sum) {
        int i = index;
        int end = index + length;
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
