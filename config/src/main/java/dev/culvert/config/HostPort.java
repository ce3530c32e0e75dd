package dev.culvert.config;

/**
 * Splits {@code host:port} and {@code [ipv6]:port} text, shared by {@link Endpoint} and {@link ListenAddress}.
 *
 * @param host the host without brackets, possibly empty (as in {@code :51820})
 * @param port 1..65535
 */
record HostPort(String host, int port) {

    static final int MIN_PORT = 1;
    static final int MAX_PORT = 65535;
    private static final int MAX_PORT_DIGITS = 5;

    /** Splits {@code text}; throws {@link IllegalArgumentException} naming what is wrong. */
    static HostPort split(String text) {
        String host;
        String portText;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("'" + text + "' is not [address]:port");
            }
            host = text.substring(1, close);
            IpLiterals.parseIpv6(host);
            portText = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("'" + text + "' has no port (expected host:port)");
            }
            host = text.substring(0, colon);
            if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException(
                        "'" + text + "': write an IPv6 address in brackets, as [2001:db8::1]:51820");
            }
            portText = text.substring(colon + 1);
        }
        return new HostPort(host, parsePort(portText));
    }

    /** Parses a decimal port 1..65535. */
    static int parsePort(String text) {
        boolean digits = !text.isEmpty() && text.length() <= MAX_PORT_DIGITS
                && text.chars().allMatch(c -> c >= '0' && c <= '9');
        int port = digits ? Integer.parseInt(text) : -1;
        if (port < MIN_PORT || port > MAX_PORT) {
            throw new IllegalArgumentException(
                    "port must be between " + MIN_PORT + " and " + MAX_PORT + " (got '" + text + "')");
        }
        return port;
    }
}
