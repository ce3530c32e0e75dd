package dev.culvert.daemon.tun;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.WriteBufferWaterMark;
import java.util.Map;

/**
 * The configuration of a {@link TunChannel} (and of the test twin {@code MemoryTunChannel}).
 *
 * <ul>
 *   <li>{@link ChannelOption#AUTO_READ}: as for every Netty channel; off means one {@code read()} brings
 *       one burst.</li>
 *   <li>{@link ChannelOption#WRITE_BUFFER_WATER_MARK}: default low {@value #DEFAULT_LOW_WATER_MARK} /
 *       high {@value #DEFAULT_HIGH_WATER_MARK} bytes of packets waiting for the kernel.</li>
 *   <li>{@link ChannelOption#MAX_MESSAGES_PER_READ}: packets per burst at most, default
 *       {@value #DEFAULT_MAX_MESSAGES_PER_READ}, so one busy device cannot starve its loop.</li>
 *   <li>{@link TunChannelOption#HEADROOM} / {@link TunChannelOption#TAILROOM}: free bytes before and
 *       after each packet read, default 0, 0..{@value TunChannelOption#MAX_ROOM}.</li>
 * </ul>
 *
 * <p>The read buffers are sized by the channel (headroom + the largest read + tailroom, or exactly
 * headroom + packet + tailroom where the largest read is big: see {@link TunChannel}), so the
 * {@code RCVBUF_ALLOCATOR} is not used for sizing.
 */
public final class TunChannelConfig extends DefaultChannelConfig {

    public static final int DEFAULT_LOW_WATER_MARK = 256 * 1024;
    public static final int DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
    public static final int DEFAULT_MAX_MESSAGES_PER_READ = 64;

    private final Runnable autoReadCleared;
    private volatile int maxMessagesPerRead = DEFAULT_MAX_MESSAGES_PER_READ;
    private volatile int headroom;
    private volatile int tailroom;

    /**
     * @param autoReadCleared run when auto-read is switched off, so the channel can stop reading
     *                        (called from whichever thread switched it)
     */
    TunChannelConfig(Channel channel, Runnable autoReadCleared) {
        super(channel);
        this.autoReadCleared = autoReadCleared;
        setWriteBufferWaterMark(new WriteBufferWaterMark(DEFAULT_LOW_WATER_MARK, DEFAULT_HIGH_WATER_MARK));
    }

    @Override
    @SuppressWarnings("deprecation")
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(super.getOptions(), TunChannelOption.HEADROOM, TunChannelOption.TAILROOM,
                ChannelOption.MAX_MESSAGES_PER_READ);
    }

    @Override
    @SuppressWarnings({"unchecked", "deprecation"})
    public <T> T getOption(ChannelOption<T> option) {
        if (option == TunChannelOption.HEADROOM) {
            return (T) Integer.valueOf(headroom);
        }
        if (option == TunChannelOption.TAILROOM) {
            return (T) Integer.valueOf(tailroom);
        }
        if (option == ChannelOption.MAX_MESSAGES_PER_READ) {
            return (T) Integer.valueOf(maxMessagesPerRead);
        }
        return super.getOption(option);
    }

    @Override
    @SuppressWarnings("deprecation")
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        validate(option, value);
        if (option == TunChannelOption.HEADROOM) {
            setHeadroom((Integer) value);
        } else if (option == TunChannelOption.TAILROOM) {
            setTailroom((Integer) value);
        } else if (option == ChannelOption.MAX_MESSAGES_PER_READ) {
            setMaxMessagesPerRead((Integer) value);
        } else {
            return super.setOption(option, value);
        }
        return true;
    }

    /** Bytes left free before each packet read (its readerIndex). */
    public int headroom() {
        return headroom;
    }

    /** Sets {@link TunChannelOption#HEADROOM}. @throws IllegalArgumentException outside 0..MAX_ROOM */
    public TunChannelConfig setHeadroom(int bytes) {
        headroom = checkRoom("headroom", bytes);
        return this;
    }

    /** Bytes left free after the largest packet the device can deliver. */
    public int tailroom() {
        return tailroom;
    }

    /** Sets {@link TunChannelOption#TAILROOM}. @throws IllegalArgumentException outside 0..MAX_ROOM */
    public TunChannelConfig setTailroom(int bytes) {
        tailroom = checkRoom("tailroom", bytes);
        return this;
    }

    /** Packets read per burst at most. */
    public int maxMessagesPerRead() {
        return maxMessagesPerRead;
    }

    /** Same as {@link #maxMessagesPerRead()}. Not deprecated here: the read buffers need no RecvByteBufAllocator. */
    @Override
    @SuppressWarnings("deprecation")
    public int getMaxMessagesPerRead() {
        return maxMessagesPerRead;
    }

    /**
     * Sets the packets per burst, at least 1 (same as the option {@code MAX_MESSAGES_PER_READ}).
     * Not deprecated here: the read buffers need no RecvByteBufAllocator.
     *
     * @throws IllegalArgumentException if below 1
     */
    @Override
    @SuppressWarnings("deprecation")
    public TunChannelConfig setMaxMessagesPerRead(int packets) {
        if (packets < 1) {
            throw new IllegalArgumentException("maxMessagesPerRead must be at least 1: " + packets);
        }
        maxMessagesPerRead = packets;
        return this;
    }

    @Override
    protected void autoReadCleared() {
        autoReadCleared.run();
    }

    private static int checkRoom(String what, int bytes) {
        if (bytes < 0 || bytes > TunChannelOption.MAX_ROOM) {
            throw new IllegalArgumentException(what + " must be 0.." + TunChannelOption.MAX_ROOM + " bytes: " + bytes);
        }
        return bytes;
    }
}
