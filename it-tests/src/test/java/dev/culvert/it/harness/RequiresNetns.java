package dev.culvert.it.harness;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks an end-to-end test class that makes network namespaces and devices.
 *
 * <p>{@link RootCheck} runs first: without root, {@code /dev/net/tun}, {@code ip}, a working
 * {@code ip netns add}, or one of {@link #tools()}, the class is skipped with the reason, or
 * fails when the environment variable {@code CI=true} (CI must never skip silently).
 * {@link FailureLogs} prints the logs of the test's processes when a test fails.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith({RootCheck.class, FailureLogs.class})
public @interface RequiresNetns {

    /** Programs needed on PATH besides {@code ip} and {@code ping}, e.g. {@code iperf3}, {@code wg}. */
    String[] tools() default {};
}
