package dev.culvert.protocol.leak;

import io.netty.util.ResourceLeakDetector;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Netty's {@link ResourceLeakDetector} that also keeps every leak it reports, so that a test can fail on it
 * ({@link NettyLeakCheck}). Installed for every resource type by the system property
 * {@code io.netty.customResourceLeakDetector} (set in the root pom's surefire and failsafe {@code argLine}, with
 * {@code io.netty.leakDetection.level=paranoid}). Netty still logs each leak ("LEAK: ...") as usual.
 *
 * @param <T> the tracked resource's type (a {@code ByteBuf}, a {@code HashedWheelTimer}, ...)
 */
public final class CountingLeakDetector<T> extends ResourceLeakDetector<T> {

    private static final List<String> REPORTS = new CopyOnWriteArrayList<>();

    /** The constructor Netty's {@code DefaultResourceLeakDetectorFactory} looks for first. */
    public CountingLeakDetector(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
    }

    /** The older constructor the factory tries when the first is missing. */
    @SuppressWarnings("deprecation")
    public CountingLeakDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
        super(resourceType, samplingInterval, maxActive);
    }

    /** The leaks reported in this JVM so far, each as Netty's report text, oldest first. */
    public static List<String> reports() {
        return List.copyOf(REPORTS);
    }

    /** Forgets the reports so far (after a test failed on them, so the next test starts clean). */
    public static void clear() {
        REPORTS.clear();
    }

    @Override
    protected boolean needReport() {
        return true; // count every leak, even when Netty's logger would not print it
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        REPORTS.add(resourceType + " leaked; recent access records:" + records);
        super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        REPORTS.add(resourceType + " leaked (no access records)");
        super.reportUntracedLeak(resourceType);
    }
}
