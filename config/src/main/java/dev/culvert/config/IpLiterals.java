package dev.culvert.config;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.UnknownHostException;

/**
 * Parses and prints IP address literals without ever consulting DNS.
 *
 * <p>IPv4 is accepted only as four decimal octets without leading zeros ({@code 198.18.0.1}); the legacy
 * forms {@code InetAddress} also takes ({@code 127.1}, {@code 0x7f.1}) are refused. IPv6 is accepted in any
 * RFC 4291 text form without a zone ({@code %eth0}); IPv4-mapped addresses stay IPv6.
 */
final class IpLiterals {

    private static final int IPV4_BYTES = 4;
    private static final int IPV6_BYTES = 16;
    private static final int IPV6_GROUPS = 8;
    private static final int MAX_OCTET = 255;
    private static final int MAX_OCTET_DIGITS = 3;

    private IpLiterals() {
    }

    /** Parses an IPv4 or IPv6 literal; throws {@link IllegalArgumentException} naming what is wrong. */
    static InetAddress parse(String text) {
        return text.indexOf(':') >= 0 ? parseIpv6(text) : parseIpv4(text);
    }

    /** True if {@code text} has the shape of an IP literal (so it must not be taken for a host name). */
    static boolean looksLiteral(String text) {
        return text.indexOf(':') >= 0 || text.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }

    static InetAddress parseIpv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != IPV4_BYTES) {
            throw invalid(text);
        }
        byte[] bytes = new byte[IPV4_BYTES];
        for (int i = 0; i < IPV4_BYTES; i++) {
            String part = parts[i];
            boolean digits = !part.isEmpty() && part.length() <= MAX_OCTET_DIGITS
                    && part.chars().allMatch(c -> c >= '0' && c <= '9');
            if (!digits || (part.length() > 1 && part.charAt(0) == '0')) {
                throw invalid(text);
            }
            int octet = Integer.parseInt(part);
            if (octet > MAX_OCTET) {
                throw invalid(text);
            }
            bytes[i] = (byte) octet;
        }
        return byAddress(bytes);
    }

    static InetAddress parseIpv6(String text) {
        // Only hex digits, ':' and '.' (embedded IPv4) may appear, and the first character must be a hex
        // digit or ':', which makes InetAddress treat the text as a literal and never as a host name.
        boolean shape = !text.isEmpty() && (text.charAt(0) == ':' || Character.digit(text.charAt(0), 16) >= 0)
                && text.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0);
        if (!shape) {
            throw invalid(text);
        }
        InetAddress parsed;
        try {
            parsed = InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw invalid(text);
        }
        if (parsed instanceof Inet4Address) {
            // InetAddress folds ::ffff:a.b.c.d into IPv4; keep what the operator wrote.
            byte[] mapped = new byte[IPV6_BYTES];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(parsed.getAddress(), 0, mapped, 12, IPV4_BYTES);
            return byAddress(mapped);
        }
        return parsed;
    }

    /** The address of these 4 or 16 bytes; 16 bytes always give IPv6, even an IPv4-mapped one. */
    static InetAddress byAddress(byte[] bytes) {
        try {
            return bytes.length == IPV6_BYTES
                    ? Inet6Address.getByAddress(null, bytes, (NetworkInterface) null)
                    : InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("an IP address has 4 or 16 bytes, not " + bytes.length, e);
        }
    }

    /** Formats an address: dotted quad for IPv4, RFC 5952 compressed lower case for IPv6. */
    static String format(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length == IPV4_BYTES) {
            return address.getHostAddress();
        }
        int[] groups = new int[IPV6_GROUPS];
        for (int i = 0; i < IPV6_GROUPS; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1; // RFC 5952 section 4.2.2: a single zero group is not compressed
        for (int i = 0; i < IPV6_GROUPS; ) {
            int j = i;
            while (j < IPV6_GROUPS && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < IPV6_GROUPS; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("'" + text + "' is not an IP address");
    }
}
