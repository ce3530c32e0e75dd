package dev.culvert.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * An IP prefix in CIDR notation, IPv4 or IPv6: {@code 198.18.0.0/15}, {@code 2001:db8::/32}.
 *
 * <p>The address may have host bits set (an interface address such as {@code 198.18.0.1/30} is a valid
 * {@code Cidr}); {@link #hasHostBits()} and {@link #network()} tell and fix that where a route is meant.
 *
 * @param address      the address, never a host name
 * @param prefixLength 0..32 for IPv4, 0..128 for IPv6
 */
public record Cidr(InetAddress address, int prefixLength) {

    private static final int BITS_PER_BYTE = 8;

    /** Validates the prefix length against the address family. */
    public Cidr {
        Objects.requireNonNull(address, "address");
        int max = address.getAddress().length * BITS_PER_BYTE;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException(
                    "prefix length must be between 0 and " + max + " (got " + prefixLength + ")");
        }
    }

    /**
     * Parses {@code address/prefix}; a bare address means a single host ({@code /32} or {@code /128}).
     *
     * @throws IllegalArgumentException with a message that names what is wrong
     */
    public static Cidr parse(String text) {
        Objects.requireNonNull(text, "text");
        int slash = text.indexOf('/');
        String addressPart = slash < 0 ? text : text.substring(0, slash);
        InetAddress address;
        try {
            address = IpLiterals.parse(addressPart);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a CIDR (expected address/prefix, "
                    + "e.g. 198.18.0.0/24 or 2001:db8::/64)", e);
        }
        int max = address.getAddress().length * BITS_PER_BYTE;
        if (slash < 0) {
            return new Cidr(address, max);
        }
        String prefixPart = text.substring(slash + 1);
        boolean digits = !prefixPart.isEmpty() && prefixPart.length() <= 3
                && prefixPart.chars().allMatch(c -> c >= '0' && c <= '9');
        int prefix = digits ? Integer.parseInt(prefixPart) : -1;
        if (prefix < 0 || prefix > max) {
            throw new IllegalArgumentException("'" + text + "' has an invalid prefix length (must be 0.." + max + ")");
        }
        return new Cidr(address, prefix);
    }

    /** True for an IPv4 prefix. */
    public boolean isIpv4() {
        return address instanceof Inet4Address;
    }

    /** The longest prefix length of this family: 32 or 128. */
    public int maxPrefixLength() {
        return address.getAddress().length * BITS_PER_BYTE;
    }

    /** True if {@code candidate} is of the same family and inside this prefix. */
    public boolean contains(InetAddress candidate) {
        byte[] mine = address.getAddress();
        byte[] theirs = candidate.getAddress();
        if (mine.length != theirs.length) {
            return false;
        }
        for (int bit = 0; bit < prefixLength; bit += BITS_PER_BYTE) {
            int i = bit / BITS_PER_BYTE;
            int mask = 0xff << (BITS_PER_BYTE - Math.min(BITS_PER_BYTE, prefixLength - bit)) & 0xff;
            if ((mine[i] & mask) != (theirs[i] & mask)) {
                return false;
            }
        }
        return true;
    }

    /** This prefix with the host bits cleared: {@code 198.51.100.7/24} gives {@code 198.51.100.0/24}. */
    public Cidr network() {
        byte[] bytes = address.getAddress();
        for (int i = 0; i < bytes.length; i++) {
            int bitsKept = Math.max(0, Math.min(BITS_PER_BYTE, prefixLength - i * BITS_PER_BYTE));
            bytes[i] &= (byte) (0xff << (BITS_PER_BYTE - bitsKept));
        }
        return new Cidr(IpLiterals.byAddress(bytes), prefixLength);
    }

    /** True if any bit after the prefix is set, as in {@code 198.51.100.7/24}. */
    public boolean hasHostBits() {
        return !network().equals(this);
    }

    /** {@code address/prefixLength}, IPv6 in RFC 5952 form. */
    @Override
    public String toString() {
        return IpLiterals.format(address) + "/" + prefixLength;
    }
}
