package dev.culvert.config;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a peer can be reached: a host (IP literal or DNS name, which is <em>not</em> resolved here) and a port.
 *
 * @param host an IPv4 literal, an IPv6 literal without brackets, or a DNS name
 * @param port 1..65535
 */
public record Endpoint(String host, int port) {

    private static final int MAX_HOST_NAME_LENGTH = 253;
    /** RFC 1123 label: letters, digits and inner hyphens, 1..63 characters. */
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    /** Validates the host and the port. */
    public Endpoint {
        Objects.requireNonNull(host, "host");
        checkHost(host);
        if (port < HostPort.MIN_PORT || port > HostPort.MAX_PORT) {
            throw new IllegalArgumentException(
                    "port must be between " + HostPort.MIN_PORT + " and " + HostPort.MAX_PORT + " (got " + port + ")");
        }
    }

    /**
     * Parses {@code host:port} or {@code [ipv6]:port}.
     *
     * @throws IllegalArgumentException with a message that names what is wrong
     */
    public static Endpoint parse(String text) {
        Objects.requireNonNull(text, "text");
        HostPort split = HostPort.split(text);
        if (split.host().isEmpty()) {
            throw new IllegalArgumentException("'" + text + "' has no host (expected host:port)");
        }
        return new Endpoint(split.host(), split.port());
    }

    /** True if the host is an IP literal, so no DNS lookup is needed. */
    public boolean isLiteral() {
        return IpLiterals.looksLiteral(host);
    }

    /** {@code host:port}, or {@code [ipv6]:port}. */
    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }

    private static void checkHost(String host) {
        if (IpLiterals.looksLiteral(host)) {
            IpLiterals.parse(host);
            return;
        }
        String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        boolean valid = !name.isEmpty() && name.length() <= MAX_HOST_NAME_LENGTH;
        for (String label : name.split("\\.", -1)) {
            valid &= LABEL.matcher(label).matches();
        }
        if (!valid) {
            throw new IllegalArgumentException("'" + host + "' is neither an IP address nor a valid host name");
        }
    }
}
