package dev.culvert.daemon;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;

/**
 * An {@link EpollIoHandler} that keeps polling (epoll_wait with a zero timeout) for a short window
 * after the last I/O it handled, before it goes back to a blocking epoll_wait.
 *
 * <p>Why: on a small VM an idle event-loop thread sleeps in epoll_wait and its vCPU halts; a lone
 * packet then pays a thread wake-up on a halted vCPU at every daemon it crosses, and the reply to a
 * packet just sent (an ICMP echo answered by the far kernel, a TCP ACK) arrives a few hundred
 * microseconds later to a loop that has already gone to sleep. Polling for {@code windowNanos}
 * after I/O lets such a reply be picked up by a thread that is still running, the way the Go
 * runtime spins briefly before it parks (wireguard-go) or SO_BUSY_POLL does in the kernel.
 * An idle daemon does not spin: the window opens only when {@link EpollIoHandler#run} reports
 * handled I/O, so the periodic timers (100 ms, 200 ms) wake the loop and it blocks again at once.
 *
 * <p>Cost: at most {@code windowNanos} of one core after each burst of I/O (bounded: a steady
 * stream keeps the loop busy anyway). Tasks submitted from other threads during the window are
 * run on the next turn (each turn is one non-blocking epoll_wait, then the loop's task queue).
 */
final class BusyPollIoHandler implements IoHandler {

    /** System property: the busy-poll window in microseconds; 0 turns busy polling off. */
    static final String WINDOW_PROPERTY = "culvert.loop.busyPollMicros";
    /** Default window: covers one round trip through a peer on the same host or LAN (see bench/results-latency.md). */
    static final long DEFAULT_WINDOW_MICROS = 500;

    private final IoHandler delegate;
    private final long windowNanos;
    private final NonBlocking nonBlocking = new NonBlocking();
    private long lastIoNanos;
    private boolean recent;

    private BusyPollIoHandler(IoHandler delegate, long windowNanos) {
        this.delegate = delegate;
        this.windowNanos = windowNanos;
    }

    /**
     * The epoll handler factory, busy-polling for {@code windowMicros} µs after I/O (0: plain
     * {@link EpollIoHandler#newFactory()}).
     */
    static IoHandlerFactory newFactory(long windowMicros) {
        return wrap(EpollIoHandler.newFactory(), windowMicros);
    }

    /** {@code handlers}, busy-polling for {@code windowMicros} µs after I/O (0: {@code handlers} as is). */
    static IoHandlerFactory wrap(IoHandlerFactory handlers, long windowMicros) {
        if (windowMicros < 0) {
            throw new IllegalArgumentException("busy-poll window must be >= 0 µs, got " + windowMicros);
        }
        if (windowMicros == 0) {
            return handlers;
        }
        long windowNanos = windowMicros * 1_000L;
        return executor -> new BusyPollIoHandler(handlers.newHandler(executor), windowNanos);
    }

    /** The window from {@value #WINDOW_PROPERTY}, else {@value #DEFAULT_WINDOW_MICROS} µs. */
    static long windowMicrosFromProperty() {
        String value = System.getProperty(WINDOW_PROPERTY);
        if (value == null || value.isBlank()) {
            return DEFAULT_WINDOW_MICROS;
        }
        try {
            long micros = Long.parseLong(value.trim());
            if (micros >= 0) {
                return micros;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException("-D" + WINDOW_PROPERTY + " must be a whole number of µs >= 0, got '"
                + value + "'");
    }

    @Override
    public int run(IoHandlerContext context) {
        boolean poll = recent && context.canBlock() && System.nanoTime() - lastIoNanos < windowNanos;
        if (!poll) {
            recent = false;
        }
        nonBlocking.outer = context;
        int handled = delegate.run(poll ? nonBlocking : context);
        if (handled > 0) {
            lastIoNanos = System.nanoTime();
            recent = true;
        }
        return handled;
    }

    @Override
    public void initialize() {
        delegate.initialize();
    }

    @Override
    public void prepareToDestroy() {
        delegate.prepareToDestroy();
    }

    @Override
    public void destroy() {
        delegate.destroy();
    }

    @Override
    public IoRegistration register(IoHandle handle) throws Exception {
        return delegate.register(handle);
    }

    @Override
    public void wakeup() {
        delegate.wakeup();
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return delegate.isCompatible(handleType);
    }

    /** The loop's context, except that it may not block: the epoll handler then polls with a zero timeout. */
    private static final class NonBlocking implements IoHandlerContext {
        IoHandlerContext outer;

        @Override
        public boolean canBlock() {
            return false;
        }

        @Override
        public long delayNanos(long currentTimeNanos) {
            return outer.delayNanos(currentTimeNanos);
        }

        @Override
        public long deadlineNanos() {
            return outer.deadlineNanos();
        }

        @Override
        public void reportActiveIoTime(long activeNanos) {
            outer.reportActiveIoTime(activeNanos);
        }

        @Override
        public boolean shouldReportActiveIoTime() {
            return outer.shouldReportActiveIoTime();
        }
    }
}
