package dev.culvert.protocol;

/** A one-shot deadline on the engine's monotonic clock, polled by {@code tick()}. */
final class Timer {
    private boolean pending;
    private long deadline;

    /** Arms (or re-arms) the timer to fire {@code delayNanos} from {@code now}. */
    void mod(long now, long delayNanos) {
        pending = true;
        deadline = now + delayNanos;
    }

    void del() {
        pending = false;
    }

    boolean pending() {
        return pending;
    }

    /** True once, when armed and due; disarms it. */
    boolean fire(long now) {
        if (pending && now - deadline >= 0) {
            pending = false;
            return true;
        }
        return false;
    }
}
