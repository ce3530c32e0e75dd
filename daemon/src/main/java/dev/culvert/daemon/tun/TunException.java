package dev.culvert.daemon.tun;

import java.io.IOException;

/**
 * A tun device could not be created, configured or used. The message is one line meant for an
 * operator: it names the device and says what to do where that is known.
 */
public final class TunException extends IOException {

    private static final long serialVersionUID = 1L;

    /** Creates an exception with a one-line, operator-readable message. */
    public TunException(String message) {
        super(message);
    }

    /** Creates an exception with a one-line, operator-readable message and its cause. */
    public TunException(String message, Throwable cause) {
        super(message, cause);
    }
}
