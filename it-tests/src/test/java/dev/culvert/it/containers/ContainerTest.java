package dev.culvert.it.containers;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class of the container suite: sites are containers of the image {@value SiteContainer#IMAGE},
 * built by {@code scripts/containers.sh} with Culvert's {@code .deb} installed.
 *
 * <p>{@link ContainerEngineCheck} runs first: without a Docker engine or the local images the class is skipped
 * with the reason, or fails when {@code CI=true}. {@link ContainerLogs} prints the logs of the test's containers
 * when a test fails.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith({ContainerEngineCheck.class, ContainerLogs.class})
public @interface ContainerTest {
}
