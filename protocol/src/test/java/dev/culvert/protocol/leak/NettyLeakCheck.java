package dev.culvert.protocol.leak;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class whose tests leaked a Netty resource: after the class, collects garbage, lets Netty's leak
 * detector look at what was collected (it does so on the next buffer allocation) and throws if
 * {@link CountingLeakDetector} saw any leak. Registered for every test class by JUnit's extension autodetection
 * ({@code META-INF/services}, enabled in the root pom); does nothing unless the detector is
 * {@link CountingLeakDetector} (the surefire and failsafe {@code argLine} install it at PARANOID).
 *
 * <p>A leak found here may have been made by an earlier class of the same JVM: the report's access records say
 * where the buffer was last touched.
 */
public final class NettyLeakCheck implements AfterAllCallback {

    /** Rounds of collect-then-poll: a buffer's cleaner and the detector's reference queue can take a round each. */
    private static final int ROUNDS = 3;

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        if (installed()) {
            requireNoLeak(context.getDisplayName());
        }
    }

    /** Whether this JVM's Netty uses {@link CountingLeakDetector} (the build's test JVMs do). */
    public static boolean installed() {
        return CountingLeakDetector.class.getName().equals(System.getProperty("io.netty.customResourceLeakDetector"));
    }

    /**
     * Collects garbage, makes the detector look at it, and throws if a leak was reported (forgetting it).
     *
     * @param where what ran before, for the message
     * @throws AssertionError listing each leak with its access records
     */
    public static void requireNoLeak(String where) throws InterruptedException {
        for (int i = 0; i < ROUNDS && CountingLeakDetector.reports().isEmpty(); i++) {
            System.gc();
            Thread.sleep(20);
            poll();
        }
        List<String> leaks = CountingLeakDetector.reports();
        if (!leaks.isEmpty()) {
            CountingLeakDetector.clear();
            throw new AssertionError(leaks.size() + " Netty resource leak(s) (ResourceLeakDetector level "
                    + ResourceLeakDetector.getLevel() + ") after " + where + ":\n"
                    + String.join("\n", leaks));
        }
    }

    /** Each tracked allocation makes the buffer detector report what the collector has queued. */
    private static void poll() {
        for (ByteBuf buf : List.of(PooledByteBufAllocator.DEFAULT.directBuffer(1),
                PooledByteBufAllocator.DEFAULT.heapBuffer(1), UnpooledByteBufAllocator.DEFAULT.directBuffer(1))) {
            buf.release();
        }
    }
}
