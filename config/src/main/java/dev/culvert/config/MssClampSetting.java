package dev.culvert.config;

import java.util.Locale;

/**
 * A tunnel's {@code mss-clamp}: whether TCP SYN and SYN-ACK segments crossing the tunnel have their MSS option
 * (RFC 9293 §3.7.1) lowered, as OpenVPN's {@code mssfix} and an iptables {@code TCPMSS} rule do. Off by default,
 * so a WireGuard-compatible tunnel carries every packet byte for byte.
 *
 * @param mode  off, auto (from the device MTU) or a fixed value
 * @param bytes the MSS in bytes for {@link Mode#FIXED}, {@value #MIN}..{@value #MAX}; 0 otherwise
 */
public record MssClampSetting(Mode mode, int bytes) {
    /** How the clamp is chosen. */
    public enum Mode {
        /** No rewriting. */
        OFF,
        /** The device MTU less the IP and TCP headers: MTU − 40 for IPv4, MTU − 60 for IPv6. */
        AUTO,
        /** The same number of bytes for IPv4 and IPv6 (as iptables {@code --set-mss}). */
        FIXED
    }

    /** RFC 9293 §3.7.1: the MSS every IPv4 host must accept (576 − 40); a lower clamp is surely a mistake. */
    public static final int MIN = 536;
    /** The largest MSS an IPv4 datagram can carry: 65535 − 20 − 20. */
    public static final int MAX = 65495;
    /** IPv4 (20) + TCP (20) header bytes without options. */
    public static final int IPV4_OVERHEAD = 40;
    /** IPv6 (40) + TCP (20) header bytes without options. */
    public static final int IPV6_OVERHEAD = 60;

    public static final MssClampSetting OFF = new MssClampSetting(Mode.OFF, 0);
    public static final MssClampSetting AUTO = new MssClampSetting(Mode.AUTO, 0);

    /** Checks the pairing of mode and bytes. */
    public MssClampSetting {
        java.util.Objects.requireNonNull(mode, "mode");
        if (mode == Mode.FIXED ? bytes < MIN || bytes > MAX : bytes != 0) {
            throw new IllegalArgumentException("mss-clamp: " + mode + " with " + bytes + " bytes");
        }
    }

    /** True unless off. */
    public boolean isOn() {
        return mode != Mode.OFF;
    }

    /** The clamp for IPv4 segments on a device with {@code mtu}; 0 when off. */
    public int ipv4(int mtu) {
        return switch (mode) {
            case OFF -> 0;
            case AUTO -> mtu - IPV4_OVERHEAD;
            case FIXED -> bytes;
        };
    }

    /** The clamp for IPv6 segments on a device with {@code mtu}; 0 when off. */
    public int ipv6(int mtu) {
        return switch (mode) {
            case OFF -> 0;
            case AUTO -> mtu - IPV6_OVERHEAD;
            case FIXED -> bytes;
        };
    }

    /**
     * Parses {@code off}, {@code auto} or a whole number of bytes {@value #MIN}..{@value #MAX}.
     *
     * @throws IllegalArgumentException naming what is accepted
     */
    public static MssClampSetting parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.equals("off") || t.equals("false") || t.equals("no")) {
            return OFF;
        }
        if (t.equals("auto")) {
            return AUTO;
        }
        long n;
        try {
            n = Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be off, auto, or an MSS in bytes " + MIN + ".." + MAX
                    + " (got '" + text + "')", e);
        }
        if (n < MIN || n > MAX) {
            throw new IllegalArgumentException("an MSS must be between " + MIN + " and " + MAX + " bytes (got " + text
                    + "); or use auto (the device MTU less 40 bytes for IPv4, 60 for IPv6)");
        }
        return new MssClampSetting(Mode.FIXED, (int) n);
    }

    @Override
    public String toString() {
        return switch (mode) {
            case OFF -> "off";
            case AUTO -> "auto";
            case FIXED -> Integer.toString(bytes);
        };
    }
}
