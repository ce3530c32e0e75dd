package dev.culvert.it.harness;

import java.util.List;

/**
 * The network-safety rule, enforced: test underlays use only the documentation ranges
 * (RFC 5737) and tunnels only the benchmarking range (RFC 2544, 198.18.0.0/15). Anything
 * else is refused before it reaches {@code ip}.
 */
public final class SafeAddresses {

    /** RFC 5737 TEST-NET-1, -2 and -3. */
    public static final List<String> UNDERLAY_RANGES = List.of("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24");

    /** RFC 2544 benchmarking range. */
    public static final List<String> OVERLAY_RANGES = List.of("198.18.0.0/15");

    private SafeAddresses() {
    }

    /** Returns {@code address} (with or without a /prefix, or host:port) if it lies in an underlay range. */
    public static String requireUnderlay(String address) {
        return require(address, UNDERLAY_RANGES, "underlay");
    }

    /** Returns {@code address} (with or without a /prefix) if it lies in the overlay range. */
    public static String requireOverlay(String address) {
        return require(address, OVERLAY_RANGES, "tunnel");
    }

    /** Whether {@code address} (an IPv4 address, optionally with /prefix or :port) lies within {@code range}. */
    public static boolean within(String address, String range) {
        String[] cidr = range.split("/");
        int prefix = Integer.parseInt(cidr[1]);
        String[] addrParts = address.split("/");
        int addrPrefix = addrParts.length > 1 ? Integer.parseInt(addrParts[1]) : 32;
        if (addrPrefix < prefix) {
            return false;
        }
        long mask = prefix == 0 ? 0 : (0xFFFF_FFFFL << (32 - prefix)) & 0xFFFF_FFFFL;
        return (toLong(host(addrParts[0])) & mask) == (toLong(cidr[0]) & mask);
    }

    /** The host part of {@code host:port} or of a bare address. */
    public static String host(String address) {
        int colon = address.indexOf(':');
        return colon < 0 ? address : address.substring(0, colon);
    }

    private static String require(String address, List<String> ranges, String what) {
        for (String range : ranges) {
            if (within(address, range)) {
                return address;
            }
        }
        throw new IllegalArgumentException("refusing " + what + " address " + address
                + ": test traffic stays within " + ranges);
    }

    private static long toLong(String dotted) {
        String[] octets = dotted.split("\\.");
        if (octets.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + dotted);
        }
        long value = 0;
        for (String octet : octets) {
            int part = Integer.parseInt(octet);
            if (part < 0 || part > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + dotted);
            }
            value = (value << 8) | part;
        }
        return value;
    }
}
