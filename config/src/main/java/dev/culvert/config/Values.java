package dev.culvert.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;

/** Parsers for the value kinds of the schema that are not types of their own, for use with {@link Section}. */
final class Values {

    /** Linux IFNAMSIZ is 16 bytes including the terminating NUL. */
    static final int MAX_DEVICE_NAME_LENGTH = 15;

    private Values() {
    }

    /**
     * A Linux interface name as {@code dev_valid_name()} accepts it and as Culvert opens it: 1..15 bytes in UTF-8
     * (IFNAMSIZ less the NUL), not "." or "..", no '/', ':' or whitespace, and, as Culvert asks for exactly this
     * name, no '%' (the kernel would read {@code %d} as a template) and no control characters. The daemon checks
     * the same before it opens the device ({@code InterfaceNames}); here it is caught before the start.
     */
    static String deviceName(String text) {
        int bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (text.isEmpty() || bytes > MAX_DEVICE_NAME_LENGTH) {
            throw new IllegalArgumentException("must be 1 to " + MAX_DEVICE_NAME_LENGTH
                    + " characters long (got " + (bytes == text.length() ? text.length() : bytes + " bytes")
                    + ": '" + text + "')");
        }
        boolean badChar = text.chars().anyMatch(c -> c == '/' || c == ':' || c == '%' || Character.isWhitespace(c)
                || Character.isISOControl(c));
        if (badChar || text.equals(".") || text.equals("..")) {
            throw new IllegalArgumentException("'" + text + "' is not a valid interface name "
                    + "(no '/', ':', '%', whitespace or control characters, and not '.' or '..')");
        }
        return text;
    }

    /** A prefix to route: a CIDR with no host bits set. */
    static Cidr network(String text) {
        Cidr cidr = Cidr.parse(text);
        if (cidr.hasHostBits()) {
            Cidr host = new Cidr(cidr.address(), cidr.maxPrefixLength());
            throw new IllegalArgumentException(text + " has host bits set; write " + cidr.network()
                    + " for the network, or " + host + " for the single address");
        }
        return cidr;
    }

    /**
     * A device address with its prefix length, {@code 198.18.0.1/30} or {@code 2001:db8::1/64}. A bare address is
     * refused (issue 11): whether the operator meant the address alone or a point-to-point network is not ours to
     * guess, and the prefix decides which on-link route the kernel adds.
     */
    static Cidr interfaceAddress(String text) {
        Cidr cidr = Cidr.parse(text);
        if (text.indexOf('/') < 0) {
            boolean v4 = cidr.maxPrefixLength() == 32;
            throw new IllegalArgumentException("'" + text + "' needs a prefix length: add it, e.g. " + text
                    + (v4 ? "/30 for a point-to-point pair or " + text + "/32" : "/64 or " + text + "/128")
                    + " for the address alone");
        }
        return cidr;
    }

    /** A base64 32-byte public key, returned in canonical base64. The message never echoes the text. */
    static String publicKey(String text) {
        byte[] key = KeyFiles.decode(text.getBytes(StandardCharsets.US_ASCII));
        if (key == null) {
            throw new IllegalArgumentException("must be a " + KeyFiles.KEY_BYTES + "-byte key in base64, "
                    + "44 characters ending in '=' (got " + text.strip().length()
                    + (text.strip().length() == 1 ? " character)" : " characters)"));
        }
        String canonical = Base64.getEncoder().encodeToString(key);
        Arrays.fill(key, (byte) 0);
        return canonical;
    }

    /** A file path; a relative one is taken relative to {@code baseDir}. */
    static Path path(String text, Path baseDir) {
        if (text.isBlank()) {
            throw new IllegalArgumentException("must be a file path (got an empty string)");
        }
        try {
            return baseDir.resolve(text);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("'" + text + "' is not a valid path: " + e.getReason(), e);
        }
    }

    /** true/false (also yes/no, on/off). */
    static Boolean bool(String text) {
        switch (text.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "on" -> {
                return Boolean.TRUE;
            }
            case "false", "no", "off" -> {
                return Boolean.FALSE;
            }
            default -> throw new IllegalArgumentException("must be true or false (got '" + text + "')");
        }
    }

    /** An Ethernet unicast address, six hex pairs separated by ':'. */
    static String mac(String text) {
        String t = text.strip().toLowerCase(java.util.Locale.ROOT);
        if (!t.matches("[0-9a-f]{2}(:[0-9a-f]{2}){5}")) {
            throw new IllegalArgumentException("must be an Ethernet address like 02:00:00:00:00:01 (got '" + text + "')");
        }
        if ((Integer.parseInt(t.substring(0, 2), 16) & 1) != 0) {
            throw new IllegalArgumentException("must be a unicast address (the first octet's lowest bit clear): " + t);
        }
        return t;
    }

    /**
     * A hook command line: non-blank, quotes balanced (it is split into words, never given to a shell), and a
     * program the daemon can start ({@link HookPrograms#find}, on this process's PATH).
     */
    static String hookCommand(String text) {
        if (text.isBlank()) {
            throw new IllegalArgumentException("must not be empty");
        }
        try {
            HookCommand.split(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("has an " + e.getMessage() + ": " + text, e);
        }
        HookPrograms.find(text, HookPrograms.searchPath());
        return text;
    }
}
