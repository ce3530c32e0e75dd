package dev.culvert.config;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Parses a local address to listen on: {@code 198.51.100.1:51820}, {@code [2001:db8::1]:51820}, or
 * {@code :51820} / {@code 51820} for every local address. The host must be an IP literal.
 *
 * <p>Families (issue 11): {@code 0.0.0.0:51820} is every IPv4 address and IPv4 only; {@code [::]:51820},
 * {@code :51820} and {@code 51820} are every address of both families (one IPv6 socket that takes IPv4 too), so a
 * port alone is the IPv6 wildcard here, not the JVM's {@code InetSocketAddress(port)}, which is {@code 0.0.0.0}
 * unless {@code java.net.preferIPv6Addresses} is set.
 */
public final class ListenAddress {

    /** {@code ::}, the wildcard that takes both families. */
    static final java.net.InetAddress IPV6_WILDCARD = IpLiterals.parse("::");

    private ListenAddress() {
    }

    /** Parses {@code text}; throws {@link IllegalArgumentException} naming what is wrong. */
    static InetSocketAddress parse(String text) {
        String portOnly = text.startsWith(":") ? text.substring(1) : text;
        if (!portOnly.isEmpty() && portOnly.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return new InetSocketAddress(IPV6_WILDCARD, HostPort.parsePort(portOnly));
        }
        HostPort split = HostPort.split(text);
        if (!IpLiterals.looksLiteral(split.host())) {
            throw new IllegalArgumentException("'" + split.host() + "' must be an IP address to listen on, "
                    + "not a host name (or write :" + split.port() + " for all addresses)");
        }
        return new InetSocketAddress(IpLiterals.parse(split.host()), split.port());
    }

    /**
     * Whether a UDP socket bound to {@code listen} can send to {@code remote}: a socket bound to one address sends
     * only to that address's family (IPv4 or IPv6; the other fails with EAFNOSUPPORT). {@code 0.0.0.0} is an IPv4
     * socket and reaches IPv4 only; the IPv6 wildcard {@code [::]}, or no address known, reaches both.
     */
    public static boolean reaches(InetSocketAddress listen, InetAddress remote) {
        if (listen == null || listen.getAddress() == null || remote == null
                || listen.getAddress() instanceof Inet6Address && listen.getAddress().isAnyLocalAddress()) {
            return true;
        }
        return (listen.getAddress() instanceof Inet6Address) == (remote instanceof Inet6Address);
    }
}
