package dev.culvert.config;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Parses a local address to listen on: {@code 198.51.100.1:51820}, {@code [2001:db8::1]:51820}, or
 * {@code :51820} / {@code 51820} for every local address. The host must be an IP literal.
 */
public final class ListenAddress {

    private ListenAddress() {
    }

    /** Parses {@code text}; throws {@link IllegalArgumentException} naming what is wrong. */
    static InetSocketAddress parse(String text) {
        String portOnly = text.startsWith(":") ? text.substring(1) : text;
        if (!portOnly.isEmpty() && portOnly.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return new InetSocketAddress(HostPort.parsePort(portOnly));
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
     * only to that address's family (IPv4 or IPv6; the other fails with EAFNOSUPPORT); a wildcard address, or none
     * known, takes both.
     */
    public static boolean reaches(InetSocketAddress listen, InetAddress remote) {
        if (listen == null || listen.getAddress() == null || listen.getAddress().isAnyLocalAddress() || remote == null) {
            return true;
        }
        return (listen.getAddress() instanceof Inet6Address) == (remote instanceof Inet6Address);
    }
}
