package dev.culvert.it.containers;

import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Device;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.images.PullPolicy;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

/**
 * One site: a container of {@value #IMAGE} (Culvert installed from its {@code .deb}) on a {@link SiteNetwork}
 * at a fixed address, with {@code NET_ADMIN} and {@code /dev/net/tun}, running {@code culvert run} as its main
 * process from the config the test wrote.
 *
 * <p>{@link #close()} hands the container's log to {@link ContainerLogs} (printed if the test fails), then
 * removes the container.
 */
final class SiteContainer implements AutoCloseable {

    /** The Debian base image scripts/containers.sh imports from debootstrap. */
    static final String BASE_IMAGE = "culvert/base:bookworm";
    /** The site image: the base plus Culvert's .deb. */
    static final String IMAGE = "culvert/site:dev";
    /** The config the image's command runs; a file name of site.conf gives the control socket /run/culvert/site/control.sock. */
    static final String CONFIG_PATH = "/etc/culvert/site.conf";
    static final String KEY_PATH = "/etc/culvert/site.key";

    private static final int SECRET_FILE_MODE = 0600;
    private static final int CONFIG_FILE_MODE = 0644;
    private static final Duration STARTUP = Duration.ofSeconds(30);
    private static final Duration DEVICE_UP = Duration.ofSeconds(30);
    private static final int STOP_TIMEOUT_SECONDS = 10;

    private final String name;
    private final String address;
    private final SiteKey key;
    private final GenericContainer<?> container;
    private List<String> devices = List.of();

    /**
     * A site not yet started.
     *
     * @param name    the container's host name and network alias, also the label of its log
     * @param network the underlay
     * @param host    the host number of its address on {@code network}
     */
    SiteContainer(String name, SiteNetwork network, int host) {
        this.name = name;
        this.address = SiteNetwork.address(host);
        this.key = SiteKey.generate();
        this.container = new GenericContainer<>(DockerImageName.parse(IMAGE))
                .withImagePullPolicy(PullPolicy.defaultPolicy())
                .withNetwork(network.network())
                .withNetworkAliases(name)
                .withStartupTimeout(STARTUP)
                .withCreateContainerCmdModifier(cmd -> {
                    cmd.withHostName(name).withIpv4Address(address);
                    cmd.getHostConfig()
                            .withCapAdd(Capability.NET_ADMIN)
                            .withDevices(Device.parse("/dev/net/tun"));
                });
    }

    String name() {
        return name;
    }

    /** The site's underlay address. */
    String address() {
        return address;
    }

    String publicKey() {
        return key.publicKey();
    }

    /** Writes the key and {@code config} into the container, starts it and waits until every tunnel's device exists. */
    void start(SiteConfig config) {
        container.withCopyToContainer(Transferable.of(key.privateKey() + "\n", SECRET_FILE_MODE), KEY_PATH)
                .withCopyToContainer(Transferable.of(config.render(), CONFIG_FILE_MODE), CONFIG_PATH);
        devices = config.tunnels().stream().map(TunnelSpec::device).toList();
        container.start();
        awaitDevices();
    }

    /** Stops the container (SIGTERM to the daemon) and starts it again, the same container with the same config. */
    void restart() {
        var docker = container.getDockerClient();
        docker.stopContainerCmd(container.getContainerId()).withTimeout(STOP_TIMEOUT_SECONDS).exec();
        docker.startContainerCmd(container.getContainerId()).exec();
        awaitDevices();
    }

    /** When the engine last started this container (changes on every start). */
    String startedAt() {
        return container.getDockerClient().inspectContainerCmd(container.getContainerId()).exec().getState().getStartedAt();
    }

    /** Runs a command in the container. */
    ExecResult exec(String... command) {
        try {
            return container.execInContainer(command);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", command) + " in " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", command) + " in " + name, e);
        }
    }

    /** Runs a command in the container and returns its standard output; fails with both outputs if it exits non-zero. */
    String run(String... command) {
        ExecResult result = exec(command);
        if (result.getExitCode() != 0) {
            throw new AssertionError(name + ": `" + String.join(" ", command) + "` exited " + result.getExitCode()
                    + "\nstdout: " + result.getStdout() + "\nstderr: " + result.getStderr());
        }
        return result.getStdout();
    }

    /** The container's output so far (the daemon's log). */
    String logs() {
        return container.getContainerId() == null ? "(never created)" : container.getLogs();
    }

    private void awaitDevices() {
        await("devices " + devices + " in " + name).atMost(DEVICE_UP).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    requireRunning();
                    return devices.stream().allMatch(device -> exec("ip", "link", "show", "dev", device).getExitCode() == 0);
                });
    }

    private void requireRunning() {
        var state = container.getDockerClient().inspectContainerCmd(container.getContainerId()).exec().getState();
        if (!Boolean.TRUE.equals(state.getRunning())) {
            throw new AssertionError(name + ": the daemon exited (code " + state.getExitCodeLong() + ") before its devices"
                    + " came up; its log:\n" + logs());
        }
    }

    @Override
    public void close() {
        List<RuntimeException> problems = new ArrayList<>();
        try {
            if (container.getContainerId() != null) {
                ContainerLogs.record(name, logs());
            }
        } catch (RuntimeException e) {
            problems.add(e);
        }
        container.stop();
        if (!problems.isEmpty()) {
            throw problems.get(0);
        }
    }
}
