package dev.culvert.protocol.transport;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The two back-pressure signals every {@link Transport} keeps: who listens for writability changes, and
 * who holds its reads paused. The transport acts on the edges: reads go off at the first pause and on
 * again at the last resume. Listener registration is thread-safe; pausing is loop-only.
 */
public final class FlowControl {
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final Set<Object> pausing = new HashSet<>();

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

    /** Records {@code holder}'s pause; true if reads were on until now (the caller turns them off). */
    public boolean pause(Object holder) {
        return pausing.add(holder) && pausing.size() == 1;
    }

    /** Drops {@code holder}'s pause; true if it was the last one (the caller turns reads on). */
    public boolean resume(Object holder) {
        return pausing.remove(holder) && pausing.isEmpty();
    }

    /** Whether anyone holds reads paused. */
    public boolean paused() {
        return !pausing.isEmpty();
    }
}
