package dev.culvert.protocol.vtun;

import io.netty.handler.codec.CorruptedFrameException;

/**
 * A malformed vtund frame or payload: a bad header, a frame over vtund's bound, data that does not decompress within
 * it. The session that received it is closed and the frame counted as
 * {@link dev.culvert.protocol.DropReason#VTUN_BAD_FRAME}. The message names what was wrong, never the data.
 */
public final class VtunFrameException extends CorruptedFrameException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, for the log */
    public VtunFrameException(String message) {
        super(message);
    }
}
