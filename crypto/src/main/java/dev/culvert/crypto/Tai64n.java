package dev.culvert.crypto;

import java.time.Clock;
import java.time.Instant;

/**
 * TAI64N timestamps (<a href="https://cr.yp.to/libtai/tai64.html">cr.yp.to/libtai/tai64.html</a>), the
 * anti-replay field of a WireGuard handshake initiation.
 *
 * <pre>
 *   offset 0: 8 bytes big-endian  2^62 + seconds
 *   offset 8: 4 bytes big-endian  nanoseconds (0..999 999 999)
 * </pre>
 *
 * The responder keeps the greatest timestamp each peer has sent and drops an initiation whose
 * timestamp is not strictly greater (see {@link #compare}).
 */
public final class Tai64n {

    /** Length of a TAI64N label in bytes. */
    public static final int LENGTH = 12;
    /** Label of second 0 (the TAI64 epoch bias, 2^62). */
    public static final long LABEL_BIAS = 1L << 62;
    /**
     * Seconds {@link #now} adds to the Unix time: TAI was 10 s ahead of UTC in 1970, and both the Linux
     * kernel and wireguard-go encode {@code 0x400000000000000a + unix seconds}. Adding the same keeps
     * timestamps monotonic when one private key moves between Culvert and another WireGuard implementation.
     */
    public static final long TAI_MINUS_UTC_1970_SECONDS = 10;
    /** {@link #now} rounds nanoseconds down to a multiple of 2^24 ns (about 16.8 ms), as wireguard-go does. */
    public static final int WHITENING_MASK = ~((1 << 24) - 1);

    private static final int SECONDS_OFFSET = 0;
    private static final int NANOS_OFFSET = 8;
    private static final int MAX_NANOS = 999_999_999;

    private Tai64n() {
    }

    /**
     * Encodes {@code 2^62 + epochSecond} and {@code nanos} exactly as given, so {@code of(0, 0)} is
     * {@code 400000000000000000000000}. No offset is added; see {@link #now} for the wire form of a clock reading.
     */
    public static byte[] of(long epochSecond, int nanos) {
        if (nanos < 0 || nanos > MAX_NANOS) {
            throw new IllegalArgumentException("TAI64N nanoseconds must be 0.." + MAX_NANOS + ", got " + nanos);
        }
        byte[] out = new byte[LENGTH];
        putLong(out, SECONDS_OFFSET, LABEL_BIAS + epochSecond);
        putInt(out, NANOS_OFFSET, nanos);
        return out;
    }

    /**
     * The timestamp to put in a handshake initiation now, byte-identical to wireguard-go and the kernel:
     * seconds are {@code clock}'s Unix seconds plus {@link #TAI_MINUS_UTC_1970_SECONDS}, and nanoseconds
     * are rounded down to a multiple of 2^24 so the field cannot serve as a precise clock oracle.
     */
    public static byte[] now(Clock clock) {
        Instant instant = clock.instant();
        return of(instant.getEpochSecond() + TAI_MINUS_UTC_1970_SECONDS, instant.getNano() & WHITENING_MASK);
    }

    /**
     * Compares two labels as unsigned big-endian numbers.
     *
     * @return a positive value if {@code a} is after {@code b}, zero if equal, negative if before
     */
    public static int compare(byte[] a, byte[] b) {
        checkLength(a);
        checkLength(b);
        for (int i = 0; i < LENGTH; i++) {
            int diff = Byte.toUnsignedInt(a[i]) - Byte.toUnsignedInt(b[i]);
            if (diff != 0) {
                return diff;
            }
        }
        return 0;
    }

    private static void checkLength(byte[] label) {
        if (label.length != LENGTH) {
            throw new IllegalArgumentException("a TAI64N label is " + LENGTH + " bytes, got " + label.length);
        }
    }

    private static void putLong(byte[] out, int offset, long value) {
        for (int i = 0; i < Long.BYTES; i++) {
            out[offset + i] = (byte) (value >>> (Byte.SIZE * (Long.BYTES - 1 - i)));
        }
    }

    private static void putInt(byte[] out, int offset, int value) {
        for (int i = 0; i < Integer.BYTES; i++) {
            out[offset + i] = (byte) (value >>> (Byte.SIZE * (Integer.BYTES - 1 - i)));
        }
    }
}
