package dev.culvert.daemon.tun;

import io.netty.channel.ChannelOption;

/**
 * The options of a {@link TunChannel} (and of the test twin {@code MemoryTunChannel}) beyond Netty's own.
 *
 * <p>Each read buffer is laid out as
 * <pre>
 *   0         headroom                     headroom + packet        capacity
 *   | HEADROOM | packet (readable bytes)   | free: at least TAILROOM |
 * </pre>
 * so a handler can prepend headers ({@code readerIndex(readerIndex() - n)}) and append a tag
 * ({@code writeBytes}) in place, without a second buffer. Both are byte counts, 0..{@value #MAX_ROOM},
 * default 0; set them before the channel is registered or between reads (they apply to the next buffer).
 */
public final class TunChannelOption<T> extends ChannelOption<T> {

    /** The largest HEADROOM or TAILROOM accepted, in bytes. */
    public static final int MAX_ROOM = 4096;

    /** Bytes left free before each packet read: the packet's {@code readerIndex} equals this. */
    public static final ChannelOption<Integer> HEADROOM = valueOf(TunChannelOption.class, "HEADROOM");

    /**
     * Bytes left free after each packet read, at least: after the largest packet the device can deliver (mtu +
     * link header) for plain packets; after the packet itself when the device has the virtio-net header.
     */
    public static final ChannelOption<Integer> TAILROOM = valueOf(TunChannelOption.class, "TAILROOM");

    @SuppressWarnings("deprecation")
    private TunChannelOption() {
        super(null);
    }
}
