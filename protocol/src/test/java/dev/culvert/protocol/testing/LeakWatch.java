package dev.culvert.protocol.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

/**
 * Netty's leak detector at {@link ResourceLeakDetector.Level#PARANOID} (every buffer tracked) with its reports
 * collected, so that a test can fail on a leak instead of leaving a log line. Netty reports a leak when a tracked
 * buffer was garbage-collected without being released, and only on a later allocation: {@link #check()} is cheap
 * (what was reported so far), {@link #checkAfterGc()} forces a few GC-and-allocate rounds first.
 *
 * <p>The listener is set on the detector of {@code io.netty.buffer.AbstractByteBuf} (the one every allocator's
 * leak-aware buffers use), read by reflection: Netty has no public accessor for it.
 */
public final class LeakWatch {
    private static final String ACQUIRE_AND_RELEASE_ONLY = "io.netty.leakDetection.acquireAndReleaseOnly";
    private static final List<String> LEAKS = new ArrayList<>();
    private static boolean enabled;

    private LeakWatch() {}

    /** Turns PARANOID detection on for this JVM and starts collecting reports (idempotent). */
    public static synchronized void enable() {
        if (enabled) {
            return;
        }
        if (System.getProperty(ACQUIRE_AND_RELEASE_ONLY) == null) {
            // Still every buffer tracked, but a stack trace only where it is made, retained and released, not at
            // every access: about 4 times as many inputs per second (fuzzing, and the seeded loops). Must be set
            // before Netty's leak-aware buffers load; -Dio.netty.leakDetection.acquireAndReleaseOnly=false for all.
            System.setProperty(ACQUIRE_AND_RELEASE_ONLY, "true");
        }
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        try {
            Field field = Class.forName("io.netty.buffer.AbstractByteBuf").getDeclaredField("leakDetector");
            field.setAccessible(true);
            ResourceLeakDetector<?> detector = (ResourceLeakDetector<?>) field.get(null);
            detector.setLeakListener((type, records) -> {
                synchronized (LEAKS) {
                    LEAKS.add(type + " leaked: " + records);
                }
            });
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot reach Netty's ByteBuf leak detector", e);
        }
        enabled = true;
    }

    /** Throws if a leak has been reported since {@link #enable()}. */
    public static void check() {
        synchronized (LEAKS) {
            if (!LEAKS.isEmpty()) {
                String first = LEAKS.get(0);
                int more = LEAKS.size() - 1;
                LEAKS.clear();
                throw new AssertionError("ByteBuf leak (PARANOID detector)" + (more > 0 ? ", and " + more + " more" : "")
                        + ": " + first);
            }
        }
    }

    /** Runs the collector and allocates (which is when Netty reports), a few rounds, then {@link #check()}. */
    public static void checkAfterGc() {
        for (int i = 0; i < 5; i++) {
            System.gc();
            ByteBuf probe = Unpooled.directBuffer(1); // Unpooled heap buffers are not tracked
            probe.release();
        }
        check();
    }
}
