package dev.culvert.protocol.testing;

import dev.culvert.protocol.leak.CountingLeakDetector;
import dev.culvert.protocol.leak.NettyLeakCheck;
import java.util.List;

/**
 * A per-input leak check for the fuzz targets, on the build's one leak detector: {@link CountingLeakDetector} at
 * PARANOID, which the surefire {@code argLine} installs in every test JVM ({@link NettyLeakCheck} checks each test
 * class with it). Netty reports a leak when a tracked buffer was garbage-collected without being released, and only
 * on a later allocation: {@link #check()} is cheap (what was reported so far), {@link #checkAfterGc()} collects
 * and polls first.
 */
public final class LeakWatch {
    private LeakWatch() {}

    /**
     * Requires the build's detector: without it (a run outside Maven) a leak would pass unseen.
     *
     * @throws AssertionError if {@link CountingLeakDetector} is not installed
     */
    public static void enable() {
        if (!NettyLeakCheck.installed()) {
            throw new AssertionError("Netty's leak detector is not the build's CountingLeakDetector: run through "
                    + "Maven (its argLine sets -Dio.netty.customResourceLeakDetector and the PARANOID level)");
        }
    }

    /** Throws if a leak has been reported and not yet failed on (forgetting it, so the next input starts clean). */
    public static void check() {
        List<String> leaks = CountingLeakDetector.reports();
        if (!leaks.isEmpty()) {
            CountingLeakDetector.clear();
            throw new AssertionError("ByteBuf leak (PARANOID detector)"
                    + (leaks.size() > 1 ? ", and " + (leaks.size() - 1) + " more" : "") + ": " + leaks.get(0));
        }
    }

    /** Collects garbage and lets the detector report it ({@link NettyLeakCheck#requireNoLeak}), then fails on a leak. */
    public static void checkAfterGc() {
        try {
            NettyLeakCheck.requireNoLeak("this input");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while checking for leaks", e);
        }
    }
}
