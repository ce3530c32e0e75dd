package dev.culvert.it.traffic;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Datagrams a WireGuard responder must drop without a word: garbage, every message type cut
 * short or padded out, well-formed messages with random (so unauthenticated) contents, and
 * replayed or bit-flipped copies of real messages captured on the wire.
 *
 * <p>Sizes and type numbers are the WireGuard whitepaper's (section 5.4) and the kernel's
 * {@code messages.h}.
 */
public final class JunkBattery {

    public static final int TYPE_INITIATION = 1;
    public static final int TYPE_RESPONSE = 2;
    public static final int TYPE_COOKIE_REPLY = 3;
    public static final int TYPE_DATA = 4;

    public static final int INITIATION_LENGTH = 148;
    public static final int RESPONSE_LENGTH = 92;
    public static final int COOKIE_REPLY_LENGTH = 64;
    /** Header (type, reserved, receiver index, counter) plus an empty payload's AEAD tag: a keepalive. */
    public static final int MIN_DATA_LENGTH = 32;
    /** type(1) + reserved(3). */
    public static final int TYPE_HEADER_LENGTH = 4;

    private static final int[][] TYPE_AND_LENGTH = {
        {TYPE_INITIATION, INITIATION_LENGTH},
        {TYPE_RESPONSE, RESPONSE_LENGTH},
        {TYPE_COOKIE_REPLY, COOKIE_REPLY_LENGTH},
        {TYPE_DATA, MIN_DATA_LENGTH},
    };

    private JunkBattery() {
    }

    /** Whether {@code payload} is a WireGuard message of {@code type} by its first byte and length. */
    public static boolean isType(byte[] payload, int type) {
        if (payload.length < TYPE_HEADER_LENGTH || payload[0] != type) {
            return false;
        }
        return switch (type) {
            case TYPE_INITIATION -> payload.length == INITIATION_LENGTH;
            case TYPE_RESPONSE -> payload.length == RESPONSE_LENGTH;
            case TYPE_COOKIE_REPLY -> payload.length == COOKIE_REPLY_LENGTH;
            default -> payload.length >= MIN_DATA_LENGTH;
        };
    }

    /** Garbage and malformed messages, from a fixed seed so a failure can be reproduced. */
    public static List<byte[]> malformed(long seed) {
        Random random = new Random(seed);
        List<byte[]> out = new ArrayList<>();
        out.add(new byte[0]);
        for (int b : new int[] {0x00, 0x01, 0x02, 0x03, 0x04, 0xff}) {
            out.add(new byte[] {(byte) b});
        }
        for (int length : new int[] {3, 7, 31, 100, 1400}) {
            out.add(randomBytes(random, length));
        }
        for (int[] typeAndLength : TYPE_AND_LENGTH) {
            int type = typeAndLength[0];
            int length = typeAndLength[1];
            out.add(message(random, type, TYPE_HEADER_LENGTH)); // header only
            out.add(message(random, type, length - 1));          // truncated by one byte
            out.add(message(random, type, length));              // right size, unauthenticated contents
            if (type != TYPE_DATA) {
                out.add(message(random, type, length + 1));      // padded by one byte
            }
            byte[] reservedSet = message(random, type, length);
            reservedSet[1] = 1;                                  // reserved bytes must be zero
            out.add(reservedSet);
        }
        out.add(message(random, TYPE_DATA, 1000));
        out.add(message(random, 5, 148));                        // unknown type
        return out;
    }

    /**
     * Replays and forgeries built from real traffic: every captured initiation and data
     * message sent again as is, and each data message with one bit flipped in its counter
     * and in its authentication tag.
     */
    public static List<byte[]> forgedFrom(List<byte[]> captured) {
        List<byte[]> out = new ArrayList<>();
        for (byte[] payload : captured) {
            if (isType(payload, TYPE_INITIATION)) {
                out.add(payload.clone());
            } else if (isType(payload, TYPE_DATA)) {
                out.add(payload.clone());
                byte[] counterFlipped = payload.clone();
                counterFlipped[8] ^= 0x01;                        // counter starts at offset 8
                out.add(counterFlipped);
                byte[] tagFlipped = payload.clone();
                tagFlipped[tagFlipped.length - 1] ^= (byte) 0x80; // last byte of the Poly1305 tag
                out.add(tagFlipped);
            }
        }
        return out;
    }

    private static byte[] message(Random random, int type, int length) {
        byte[] bytes = randomBytes(random, length);
        if (length > 0) {
            bytes[0] = (byte) type;
        }
        Arrays.fill(bytes, 1, Math.min(TYPE_HEADER_LENGTH, length), (byte) 0);
        return bytes;
    }

    private static byte[] randomBytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }
}
