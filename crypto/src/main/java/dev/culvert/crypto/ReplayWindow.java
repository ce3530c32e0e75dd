package dev.culvert.crypto;

/**
 * The anti-replay window of one receiving keypair: RFC 6479's bitmap of blocks, in the variant the
 * Linux kernel's WireGuard uses (drivers/net/wireguard/receive.c, {@code counter_validate}).
 *
 * <p>The bitmap holds {@value #BLOCK_COUNT} blocks of 64 bits. The block the newest counter falls in
 * is partly in the future, so one block is "redundant" and the usable window is
 * {@value #WINDOW_SIZE} counters behind the newest one. Moving forward clears only the blocks that
 * the jump passes, so a huge jump costs at most {@value #BLOCK_COUNT} stores.
 *
 * <p>Counters are unsigned 64-bit numbers. Internally the window tracks {@code counter + 1} so that
 * the all-zero initial state means "nothing received yet" and counter 0 is still accepted once.
 * Not thread-safe: the receive path of one peer owns it.
 */
public final class ReplayWindow {

    /** Counters this far behind the newest accepted one are still accepted once. */
    public static final int WINDOW_SIZE = 8128;
    /**
     * Counters at or above this (unsigned) are rejected: {@code 2^64 - 2^13 - 1}, the WireGuard paper's
     * Reject-After-Messages, as wireguard-go defines it.
     */
    public static final long REJECT_AFTER_MESSAGES = -(1L << 13) - 1;

    private static final int BITS_PER_BLOCK = Long.SIZE;
    private static final int BLOCK_SHIFT = 6;                 // log2(BITS_PER_BLOCK)
    private static final int TOTAL_BITS = WINDOW_SIZE + BITS_PER_BLOCK;
    private static final int BLOCK_COUNT = TOTAL_BITS / BITS_PER_BLOCK;
    private static final int BLOCK_INDEX_MASK = BLOCK_COUNT - 1;
    private static final int BIT_INDEX_MASK = BITS_PER_BLOCK - 1;

    private final long[] blocks = new long[BLOCK_COUNT];
    /** One more than the greatest counter accepted so far; 0 when none has been. */
    private long next;

    /**
     * Accepts a counter at most once.
     *
     * @return true if {@code counter} is new, within the window and below {@link #REJECT_AFTER_MESSAGES}
     *         (it is then recorded); false if it was seen before, is too old, or too large
     */
    public boolean validateAndRecord(long counter) {
        if (Long.compareUnsigned(counter, REJECT_AFTER_MESSAGES) >= 0) {
            return false;
        }
        long shifted = counter + 1;                           // cannot wrap: counter < REJECT_AFTER_MESSAGES
        if (Long.compareUnsigned(shifted + WINDOW_SIZE, next) < 0) {
            return false;                                     // older than the window
        }
        long blockIndex = shifted >>> BLOCK_SHIFT;
        if (Long.compareUnsigned(shifted, next) > 0) {
            advanceTo(shifted, blockIndex);
        }
        int slot = (int) (blockIndex & BLOCK_INDEX_MASK);
        long bit = 1L << (shifted & BIT_INDEX_MASK);
        if ((blocks[slot] & bit) != 0) {
            return false;                                     // replayed
        }
        blocks[slot] |= bit;
        return true;
    }

    /** Forgets every counter, as for a fresh keypair. */
    public void reset() {
        java.util.Arrays.fill(blocks, 0L);
        next = 0;
    }

    /** Clears the blocks strictly after the current one, up to and including the new one, then moves forward. */
    private void advanceTo(long shifted, long blockIndex) {
        long currentBlock = next >>> BLOCK_SHIFT;
        long gap = blockIndex - currentBlock;                 // > 0 or 0; both unsigned-small or huge
        int toClear = Long.compareUnsigned(gap, BLOCK_COUNT) < 0 ? (int) gap : BLOCK_COUNT;
        for (int i = 1; i <= toClear; i++) {
            blocks[(int) ((currentBlock + i) & BLOCK_INDEX_MASK)] = 0L;
        }
        next = shifted;
    }

    @Override
    public String toString() {
        return "ReplayWindow[next=" + Long.toUnsignedString(next) + "]";
    }
}
