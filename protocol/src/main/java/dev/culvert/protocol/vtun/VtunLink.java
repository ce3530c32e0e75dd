package dev.culvert.protocol.vtun;

/**
 * The data transforms of one vtund session, both directions, sans IO (vtund {@code linkfd.c}: device → compress →
 * encrypt → frame, and back). Built from the FLAGS the server decided. Not thread-safe: one owner thread.
 */
public final class VtunLink implements AutoCloseable {
    private final VtunCompression compression;
    private final VtunCrypto crypto;
    private final int bound;

    /**
     * @param flags    the session's FLAGS; its cipher must be {@link VtunCipher#offered() offered}
     * @param password the session's passwd (used for the key only, not kept)
     * @param bound    the largest packet the device takes and the receiver decompresses to ({@code <=}
     *                 {@link VtunFrames#FRAME_SIZE} for a vtund peer)
     */
    public VtunLink(VtunFlags flags, byte[] password, int bound) {
        this.compression = VtunCompression.of(flags.compress(), flags.level());
        this.crypto = flags.cipher() == VtunCipher.NO ? null : new VtunCrypto(flags.cipher(), password);
        this.bound = bound;
    }

    /**
     * True when the session neither encrypts nor compresses: a frame's payload is the packet itself, so the caller
     * may pass buffers on unchanged instead of calling {@link #outbound} and {@link #inbound}.
     */
    public boolean isPlain() {
        return compression == null && crypto == null;
    }

    /** The largest packet the device takes and the receiver decompresses to, in bytes (the constructor's bound). */
    public int bound() {
        return bound;
    }

    /**
     * A packet from the device as a frame payload.
     *
     * @return the payload, or null if it would not fit a frame (over {@link VtunFrames#LENGTH_MASK} bytes)
     */
    public byte[] outbound(byte[] packet, int offset, int length) {
        byte[] data = packet;
        int off = offset;
        int len = length;
        if (compression != null) {
            data = compression.compress(data, off, len);
            off = 0;
            len = data.length;
        }
        if (crypto != null) {
            data = crypto.seal(data, off, len);
            off = 0;
            len = data.length;
        }
        if (len > VtunFrames.LENGTH_MASK) {
            return null;
        }
        if (off != 0 || len != data.length) {
            data = java.util.Arrays.copyOfRange(data, off, off + len);
        }
        return data;
    }

    /**
     * A frame payload from the peer as a packet for the device.
     *
     * @return the packet, or null if it does not decrypt (a counted {@code VTUN_BAD_CIPHERTEXT} drop; the session
     *         goes on, as vtund's does)
     * @throws VtunFrameException if it does not decompress within the bound (the session closes)
     */
    public byte[] inbound(byte[] payload, int offset, int length) {
        byte[] data = payload;
        int off = offset;
        int len = length;
        if (crypto != null) {
            data = crypto.open(data, off, len);
            if (data == null) {
                return null;
            }
            off = 0;
            len = data.length;
        }
        if (compression != null) {
            if (len == 0) {
                return new byte[0];
            }
            return compression.decompress(data, off, len, bound);
        }
        if (len > bound) {
            throw new VtunFrameException("packet of " + len + " bytes, over " + bound);
        }
        return off == 0 && len == data.length ? data : java.util.Arrays.copyOfRange(data, off, off + len);
    }

    @Override
    public void close() {
        if (compression != null) {
            compression.close();
        }
    }
}
