package dev.culvert.protocol.vtun;

import io.netty.buffer.ByteBuf;

/**
 * vtund's frame header (VTUN.md §2.3, vtund {@code vtun.h} and {@code generic/tcp_proto.c}): 2 bytes, big-endian;
 * the low 12 bits are the payload length, the top nibble a flag. Control frames ({@link #CONN_CLOSE},
 * {@link #ECHO_REQ}, {@link #ECHO_REP}) have no body and are never encrypted.
 */
public final class VtunFrames {
    /** Header bytes. */
    public static final int HEADER = 2;
    /** {@code VTUN_FSIZE_MASK}. */
    public static final int LENGTH_MASK = 0x0FFF;
    /** {@code VTUN_CONN_CLOSE}: the peer ends the session. */
    public static final int CONN_CLOSE = 0x1000;
    /** {@code VTUN_ECHO_REQ}: answer with {@link #ECHO_REP}. */
    public static final int ECHO_REQ = 0x2000;
    /** {@code VTUN_ECHO_REP}. */
    public static final int ECHO_REP = 0x4000;
    /** vtund's device read size ({@code VTUN_FRAME_SIZE}): the largest packet either side sends. */
    public static final int FRAME_SIZE = 2048;
    /**
     * The largest payload a vtund TCP receiver takes ({@code VTUN_FRAME_SIZE + VTUN_FRAME_OVERHEAD}); also the bound
     * on what a Culvert receiver reads before it decrypts and decompresses.
     */
    public static final int MAX_PAYLOAD = FRAME_SIZE + 100;

    private VtunFrames() {
    }

    /** A control frame: header {@code flag}, no body. */
    public static void writeControl(ByteBuf out, int flag) {
        out.writeShort(flag);
    }

    /**
     * Checks a header read from the wire.
     *
     * @return the payload length for a data frame (1..{@link #MAX_PAYLOAD}), or the negative flag of a control frame
     * @throws VtunFrameException for an empty or oversized data frame, a control frame with a length, an unknown flag
     */
    public static int check(int header) {
        int flags = header & ~LENGTH_MASK & 0xFFFF;
        int length = header & LENGTH_MASK;
        if (flags == 0) {
            if (length == 0) {
                throw new VtunFrameException("empty data frame (vtund reads it as the end of the connection)");
            }
            if (length > MAX_PAYLOAD) {
                throw new VtunFrameException("data frame of " + length + " bytes, over vtund's " + MAX_PAYLOAD);
            }
            return length;
        }
        if ((flags == CONN_CLOSE || flags == ECHO_REQ || flags == ECHO_REP) && length == 0) {
            return -flags;
        }
        throw new VtunFrameException(String.format("bad frame header 0x%04x", header & 0xFFFF));
    }
}
