package dev.culvert.it.harness;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * The network-safety rule, enforced: test underlays use only the documentation ranges and tunnels only the
 * benchmarking range or a documentation block set aside for them. Anything else is refused before it reaches
 * {@code ip}.
 *
 * <ul>
 *   <li>Underlay, IPv4: RFC 5737 TEST-NET-1, -2 and -3.</li>
 *   <li>Underlay, IPv6: RFC 3849 {@code 2001:db8::/32}, except the tunnels' {@code 2001:db8:ff::/48}; tests use
 *       one /64 per link, e.g. {@code 2001:db8:1::/64}.</li>
 *   <li>Tunnel, IPv4: RFC 2544 benchmarking range {@code 198.18.0.0/15}.</li>
 *   <li>Tunnel, IPv6: {@code 2001:db8:ff::/48}, a block of the documentation prefix kept apart from every
 *       underlay so that an address inside a tunnel is never also routed on the veth (one /64 per tunnel, e.g.
 *       {@code 2001:db8:ff:1::/64}). IPv6 has no benchmarking prefix that RFC 2544 would cover (RFC 5180's
 *       {@code 2001:2::/48} is not in the rules).</li>
 * </ul>
 *
 * <p>Addresses are written as {@code ip} and Culvert take them: bare ({@code 2001:db8:1::1}), with a prefix
 * ({@code 2001:db8:1::1/64}) or with a port ({@code 192.0.2.1:51820}, {@code [2001:db8:1::1]:51820}).
 */
public final class SafeAddresses {

    /** The IPv6 block tunnels use; underlays never do. */
    public static final String OVERLAY_IPV6 = "2001:db8:ff::/48";

    /** RFC 5737 TEST-NET-1, -2 and -3, and RFC 3849's documentation prefix (minus {@link #OVERLAY_IPV6}). */
    public static final List<String> UNDERLAY_RANGES =
            List.of("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32");

    /** RFC 2544 benchmarking range, and {@link #OVERLAY_IPV6}. */
    public static final List<String> OVERLAY_RANGES = List.of("198.18.0.0/15", OVERLAY_IPV6);

    private SafeAddresses() {
    }

    /** Returns {@code address} (with or without a /prefix, or host:port) if it lies in an underlay range. */
    public static String requireUnderlay(String address) {
        if (within(address, OVERLAY_IPV6)) {
            throw new IllegalArgumentException("refusing underlay address " + address + ": " + OVERLAY_IPV6
                    + " is kept for tunnels");
        }
        return require(address, UNDERLAY_RANGES, "underlay");
    }

    /** Returns {@code address} (with or without a /prefix) if it lies in an overlay range. */
    public static String requireOverlay(String address) {
        return require(address, OVERLAY_RANGES, "tunnel");
    }

    /**
     * Whether {@code address} (IPv4 or IPv6, optionally with /prefix or a port) lies within {@code range}; an
     * address of the other family never does.
     */
    public static boolean within(String address, String range) {
        String[] cidr = range.split("/");
        byte[] net = parse(cidr[0]);
        int prefix = Integer.parseInt(cidr[1]);
        String[] addrParts = address.split("/");
        byte[] addr = parse(host(addrParts[0]));
        int addrPrefix = addrParts.length > 1 ? Integer.parseInt(addrParts[1]) : addr.length * 8;
        if (addr.length != net.length || addrPrefix < prefix) {
            return false;
        }
        for (int bit = 0; bit < prefix; bit++) {
            int mask = 0x80 >>> (bit % 8);
            if ((addr[bit / 8] & mask) != (net[bit / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The host part of {@code host:port}, {@code [v6]:port} or of a bare address ({@code 2001:db8::1} has no port:
     * an IPv6 address with a port is written in brackets).
     */
    public static String host(String address) {
        if (address.startsWith("[")) {
            int close = address.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("no ']' in " + address);
            }
            return address.substring(1, close);
        }
        int colon = address.indexOf(':');
        if (colon < 0 || address.indexOf(':', colon + 1) >= 0) {
            return address;
        }
        return address.substring(0, colon);
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

    /** The bytes of an IP literal (4 or 16); never a DNS look-up, as a name is refused before InetAddress sees it. */
    private static byte[] parse(String literal) {
        boolean v6 = literal.indexOf(':') >= 0;
        boolean literalChars = !literal.isEmpty() && literal.chars().allMatch(c -> v6
                ? Character.digit(c, 16) >= 0 || c == ':' || c == '.'
                : (c >= '0' && c <= '9') || c == '.');
        if (!literalChars || (!v6 && !dottedQuad(literal))) {
            throw new IllegalArgumentException("not an IP address: " + literal);
        }
        try {
            return InetAddress.getByName(literal).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: " + literal, e);
        }
    }

    private static boolean dottedQuad(String literal) {
        String[] octets = literal.split("\\.", -1);
        if (octets.length != 4) {
            return false;
        }
        for (String octet : octets) {
            if (octet.isEmpty() || octet.length() > 3 || Integer.parseInt(octet) > 255) {
                return false;
            }
        }
        return true;
    }
}
