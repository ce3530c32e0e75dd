package dev.culvert.daemon;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoRegistration;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BusyPollIoHandlerTest {

    /** Records whether each turn was allowed to block, and answers with scripted I/O counts. */
    private static final class FakeEpoll implements IoHandler {
        final List<Boolean> blocking = new ArrayList<>();
        final Deque<Integer> handled = new ArrayDeque<>();

        @Override
        public int run(IoHandlerContext context) {
            blocking.add(context.canBlock());
            Integer n = handled.poll();
            return n == null ? 0 : n;
        }

        @Override
        public IoRegistration register(IoHandle handle) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void wakeup() {
        }

        @Override
        public boolean isCompatible(Class<? extends IoHandle> handleType) {
            return true;
        }
    }

    private static final IoHandlerContext LOOP = new IoHandlerContext() {
        @Override
        public boolean canBlock() {
            return true;
        }

        @Override
        public long delayNanos(long currentTimeNanos) {
            return 100_000_000L;
        }

        @Override
        public long deadlineNanos() {
            return System.nanoTime() + 100_000_000L;
        }
    };

    @Test
    void pollsWithoutBlockingOnlyWithinTheWindowAfterIo() throws InterruptedException {
        FakeEpoll epoll = new FakeEpoll();
        IoHandler handler = BusyPollIoHandler.wrap(executor -> epoll, 50_000).newHandler(null);

        handler.run(LOOP);                 // idle: blocks (a timer wake-up, no I/O)
        handler.run(LOOP);                 // still no I/O: blocks again, no spinning when idle
        epoll.handled.add(1);
        handler.run(LOOP);                 // blocks, wakes with one handle's I/O
        handler.run(LOOP);                 // within the window: polls
        epoll.handled.add(2);
        handler.run(LOOP);                 // polls and finds I/O: the window starts again
        handler.run(LOOP);                 // polls
        Thread.sleep(80);                  // past the 50 ms window
        handler.run(LOOP);                 // blocks
        handler.run(LOOP);                 // blocks

        assertThat(epoll.blocking).containsExactly(true, true, true, false, false, false, true, true);
    }

    @Test
    void aZeroWindowLeavesTheHandlerAsIsAndANegativeOneIsRefused() {
        FakeEpoll epoll = new FakeEpoll();
        assertThat(BusyPollIoHandler.wrap(executor -> epoll, 0).newHandler(null)).isSameAs(epoll);
        assertThatThrownBy(() -> BusyPollIoHandler.wrap(executor -> epoll, -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theWindowComesFromASystemProperty() {
        String old = System.getProperty(BusyPollIoHandler.WINDOW_PROPERTY);
        try {
            System.clearProperty(BusyPollIoHandler.WINDOW_PROPERTY);
            assertThat(BusyPollIoHandler.windowMicrosFromProperty()).isEqualTo(BusyPollIoHandler.DEFAULT_WINDOW_MICROS);
            System.setProperty(BusyPollIoHandler.WINDOW_PROPERTY, "0");
            assertThat(BusyPollIoHandler.windowMicrosFromProperty()).isZero();
            System.setProperty(BusyPollIoHandler.WINDOW_PROPERTY, "-5");
            assertThatThrownBy(BusyPollIoHandler::windowMicrosFromProperty).hasMessageContaining("busyPollMicros");
            System.setProperty(BusyPollIoHandler.WINDOW_PROPERTY, "lots");
            assertThatThrownBy(BusyPollIoHandler::windowMicrosFromProperty).hasMessageContaining("'lots'");
        } finally {
            if (old == null) {
                System.clearProperty(BusyPollIoHandler.WINDOW_PROPERTY);
            } else {
                System.setProperty(BusyPollIoHandler.WINDOW_PROPERTY, old);
            }
        }
    }
}
