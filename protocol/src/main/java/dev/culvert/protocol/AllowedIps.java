package dev.culvert.protocol;

import io.netty.buffer.ByteBuf;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * One peer's allowed IPs (whitepaper §2, cryptokey routing): the inner source addresses it may send
 * from, and the inner destinations we send to it. A linear list: a point-to-point tunnel has few
 * entries. Lookups read addresses straight out of packet buffers, without allocating.
 */
public final class AllowedIps {
    private final byte[][] prefixes;
    private final int[] lengths;

    /** A prefix: address bytes (4 or 16) and the number of leading bits that count. */
    public record Prefix(InetAddress address, int length) {
        public Prefix {
            int max = address.getAddress().length * 8;
            if (length < 0 || length > max) {
                throw new IllegalArgumentException("prefix length " + length + " out of range 0.." + max);
            }
        }
    }

    public AllowedIps(List<Prefix> prefixes) {
        List<Prefix> copy = new ArrayList<>(prefixes);
        this.prefixes = new byte[copy.size()][];
        this.lengths = new int[copy.size()];
        for (int i = 0; i < copy.size(); i++) {
            this.prefixes[i] = copy.get(i).address().getAddress();
            this.lengths[i] = copy.get(i).length();
        }
    }

    /** True if the address of {@code addressLength} bytes at {@code offset} in {@code buf} falls in a prefix. */
    public boolean contains(ByteBuf buf, int offset, int addressLength) {
        for (int i = 0; i < prefixes.length; i++) {
            if (prefixes[i].length == addressLength && matches(prefixes[i], lengths[i], buf, offset)) {
                return true;
            }
        }
        return false;
    }

    public boolean contains(InetAddress address) {
        byte[] bytes = address.getAddress();
        return contains(io.netty.buffer.Unpooled.wrappedBuffer(bytes), 0, bytes.length);
    }

    private static boolean matches(byte[] prefix, int bits, ByteBuf buf, int offset) {
        int whole = bits >>> 3;
        for (int i = 0; i < whole; i++) {
            if (prefix[i] != buf.getByte(offset + i)) {
                return false;
            }
        }
        int rest = bits & 7;
        if (rest == 0) {
            return true;
        }
        int mask = 0xFF << (8 - rest) & 0xFF;
        return (prefix[whole] & mask) == (buf.getByte(offset + whole) & mask);
    }
}
