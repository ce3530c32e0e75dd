package dev.culvert.protocol.transport;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The two back-pressure signals every {@link Transport} keeps: who listens for writability changes, and
 * who holds its reads paused. Reads are switched only on the edges: off at the first pause, on again at the
 * last resume. Listener registration is thread-safe; pausing is loop-only.
 */
public final class FlowControl {
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final Set<Object> pausing = new HashSet<>();
    private final Consumer<Boolean> reads;

    /** @param reads turns the transport's reads on ({@code true}) or off; called on the edges only */
    public FlowControl(Consumer<Boolean> reads) {
        this.reads = reads;
    }

    public void addWritabilityListener(Runnable listener) {
        listeners.add(listener);
    }

    public void removeWritabilityListener(Runnable listener) {
        listeners.remove(listener);
    }

    /** Tells every listener that writability may have changed. */
    public void writabilityChanged() {
        listeners.forEach(Runnable::run);
    }

    /** Records {@code holder}'s pause; the first one turns reads off. */
    public void pause(Object holder) {
        if (pausing.add(holder) && pausing.size() == 1) {
            reads.accept(false);
        }
    }

    /** Drops {@code holder}'s pause; the last one turns reads on again. */
    public void resume(Object holder) {
        if (pausing.remove(holder) && pausing.isEmpty()) {
            reads.accept(true);
        }
    }

    /** Whether anyone holds reads paused. */
    public boolean paused() {
        return !pausing.isEmpty();
    }
}
