package dev.culvert.protocol.vtun;

import java.util.Objects;

/**
 * The FLAGS string a vtund server sends after a good challenge response, e.g. {@code <TuKE10>} (VTUN.md §2.2, vtund
 * {@code auth.c:bf2cf/cf2bf}): the server decides proto, device type, compression, keepalive and cipher, and the
 * client takes them.
 *
 * @param udp       {@code U} (else {@code T}, TCP)
 * @param type      the device type letter: {@code u} tun, {@code e} ether (tap), {@code t} tty, {@code p} pipe
 * @param compress  {@code C<level>} zlib or {@code L<level>} lzo, or none
 * @param level     the compression level (0 without compression)
 * @param keepalive {@code K}
 * @param cipher    {@code E<n>} / bare {@code E}, or {@link VtunCipher#NO}
 * @param speed     {@code S<kbit/s>} the server's shaper, 0 if none (Culvert does not shape; it parses it only)
 */
public record VtunFlags(boolean udp, char type, Compress compress, int level, boolean keepalive, VtunCipher cipher,
                        int speed) {

    /** The compressors of the FLAGS string. */
    public enum Compress {
        NO, ZLIB, LZO
    }

    /** Null-checks. */
    public VtunFlags {
        Objects.requireNonNull(compress, "compress");
        Objects.requireNonNull(cipher, "cipher");
    }

    /** The string as vtund writes it: {@code <} proto type [S] [C|L] [K] [E] {@code >}. */
    public String format() {
        StringBuilder s = new StringBuilder("<").append(udp ? 'U' : 'T').append(type);
        if (speed > 0) {
            s.append('S').append(speed);
        }
        if (compress == Compress.ZLIB) {
            s.append('C').append(level);
        } else if (compress == Compress.LZO) {
            s.append('L').append(level);
        }
        if (keepalive) {
            s.append('K');
        }
        if (cipher == VtunCipher.OLDBLOWFISH128ECB) {
            s.append('E');
        } else if (cipher != VtunCipher.NO) {
            s.append('E').append(cipher.number());
        }
        return s.append('>').toString();
    }

    /**
     * Parses the FLAGS in a message's text (from its first {@code <} to {@code >}), letters in any order as
     * {@code cf2bf} accepts them.
     *
     * @throws IllegalArgumentException naming what is wrong: no {@code <...>}, an unknown letter or cipher number, a
     *                                  letter without its number
     */
    public static VtunFlags parse(String text) {
        int i = text.indexOf('<');
        if (i < 0) {
            throw new IllegalArgumentException("no <...> FLAGS in '" + text + "'");
        }
        boolean udp = false;
        char type = 't'; // vtund's default type is tty
        Compress compress = Compress.NO;
        int level = 0;
        boolean keepalive = false;
        VtunCipher cipher = VtunCipher.NO;
        int speed = 0;
        i++;
        while (i < text.length()) {
            char c = text.charAt(i++);
            int start = i;
            while (i < text.length() && i - start < 6 && Character.isDigit(text.charAt(i))) {
                i++;
            }
            String digits = text.substring(start, i);
            switch (c) {
                case 'T' -> udp = false;
                case 'U' -> udp = true;
                case 't', 'p', 'e', 'u' -> type = c;
                case 'K' -> keepalive = true;
                case 'F' -> { } // reserved
                case 'C', 'L' -> {
                    if (digits.isEmpty()) {
                        throw new IllegalArgumentException("'" + c + "' without a level in FLAGS '" + text + "'");
                    }
                    compress = c == 'C' ? Compress.ZLIB : Compress.LZO;
                    level = Integer.parseInt(digits);
                }
                case 'S' -> {
                    if (digits.isEmpty()) {
                        throw new IllegalArgumentException("'S' without a speed in FLAGS '" + text + "'");
                    }
                    speed = Integer.parseInt(digits);
                }
                case 'E' -> {
                    VtunCipher e = VtunCipher.ofNumber(digits.isEmpty() ? -1 : Integer.parseInt(digits));
                    if (e == null || e == VtunCipher.NO) {
                        throw new IllegalArgumentException("unknown cipher E" + digits + " in FLAGS '" + text + "'");
                    }
                    cipher = e;
                }
                case '>' -> {
                    return new VtunFlags(udp, type, compress, level, keepalive, cipher, speed);
                }
                default -> throw new IllegalArgumentException("unknown letter '" + c + "' in FLAGS '" + text + "'");
            }
            if (!digits.isEmpty() && c != 'C' && c != 'L' && c != 'S' && c != 'E') {
                throw new IllegalArgumentException("digits after '" + c + "' in FLAGS '" + text + "'");
            }
        }
        throw new IllegalArgumentException("FLAGS '" + text + "' do not end with '>'");
    }
}
