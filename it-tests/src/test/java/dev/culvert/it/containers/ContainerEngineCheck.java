package dev.culvert.it.containers;

import dev.culvert.it.harness.RootCheck;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * Checks that the container suite can run here: a Docker engine answers and the local images exist.
 *
 * <p>When not, the test class is skipped with the reason and the command that fixes it; under {@code CI=true}
 * it fails instead, so CI cannot pass by skipping the suite. Nothing is ever pulled: a missing image is reported
 * here, not discovered after minutes of registry retries.
 */
public final class ContainerEngineCheck implements BeforeAllCallback {

    /** The images {@code scripts/containers.sh} builds. */
    static final List<String> IMAGES = List.of(SiteContainer.BASE_IMAGE, SiteContainer.IMAGE);

    private static final String FIX = "run `sudo scripts/containers.sh` first";

    @Override
    public void beforeAll(ExtensionContext context) {
        problem().ifPresent(ContainerEngineCheck::skipOrFail);
    }

    /** What keeps the container suite from running here, if anything. */
    static Optional<String> problem() {
        DockerClientFactory docker = DockerClientFactory.instance();
        if (!docker.isDockerAvailable()) {
            return Optional.of("no Docker engine answers (" + FIX + ")");
        }
        for (String image : IMAGES) {
            try {
                docker.client().inspectImageCmd(image).exec();
            } catch (RuntimeException e) {
                return Optional.of("the local image " + image + " is missing (" + FIX + "): " + e.getMessage());
            }
        }
        return Optional.empty();
    }

    private static void skipOrFail(String reason) {
        if (RootCheck.inCi()) {
            Assertions.fail("CI=true and the container suite cannot run: " + reason);
        }
        Assumptions.abort("skipped: " + reason);
    }
}
