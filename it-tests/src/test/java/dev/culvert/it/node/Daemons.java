package dev.culvert.it.node;

import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.Netns;
import java.time.Duration;
import java.util.List;

/**
 * Starting a {@link CulvertNode} from a {@link DaemonConfig} and waiting for what a test needs next: its devices,
 * or a line in its log.
 */
public final class Daemons {

    private static final Duration POLL = Duration.ofMillis(200);

    private Daemons() {
    }

    /** What the daemon logs once every tunnel has started, up hooks included. */
    public static final String RUNNING = "culvert: running ";

    /**
     * Writes {@code config} as the node's {@code culvert.conf}, launches the daemon and waits until every
     * tunnel's device exists in the node's namespace and the daemon says it is running (a device exists
     * before its up hooks have run).
     *
     * @throws AssertionError with the daemon's stderr if it exits first or a device does not appear in time
     */
    public static BackgroundProcess start(CulvertNode node, DaemonConfig config, List<String> devices) {
        BackgroundProcess process = launch(node, config);
        awaitRunning(node, process, devices);
        return process;
    }

    /**
     * Writes {@code config} as the node's {@code culvert.conf} and launches the daemon without waiting: start two
     * daemons side by side, then {@link #awaitRunning} each.
     */
    public static BackgroundProcess launch(CulvertNode node, DaemonConfig config) {
        return node.launch(node.writeConfig(config.render()));
    }

    /**
     * Waits until every device in {@code devices} exists in the node's namespace and the daemon says it is running.
     *
     * @throws AssertionError with the daemon's stderr if it exits first or does not get there in time
     */
    public static void awaitRunning(CulvertNode node, BackgroundProcess process, List<String> devices) {
        awaitRunning(node, process, devices, CulvertNode.START_TIMEOUT);
    }

    /**
     * Like {@link #awaitRunning(CulvertNode, BackgroundProcess, List)} with a time limit of the caller's: for
     * several daemons launched side by side, whose JVMs share the machine's cores while they start.
     */
    public static void awaitRunning(CulvertNode node, BackgroundProcess process, List<String> devices, Duration within) {
        awaitDevices(node.netns(), process, devices, within);
        await("'" + RUNNING + "' in the log of " + process.label())
                .atMost(within)
                .pollInterval(POLL)
                .until(() -> {
                    requireAlive(process);
                    return process.stderr().contains(RUNNING);
                });
    }

    /** Waits until every device in {@code devices} exists in {@code netns} while {@code process} runs. */
    public static void awaitDevices(Netns netns, BackgroundProcess process, List<String> devices) {
        awaitDevices(netns, process, devices, CulvertNode.START_TIMEOUT);
    }

    private static void awaitDevices(Netns netns, BackgroundProcess process, List<String> devices, Duration within) {
        await("devices " + devices + " of " + process.label())
                .atMost(within)
                .pollInterval(POLL)
                .until(() -> {
                    requireAlive(process);
                    return devices.stream().allMatch(netns::hasLink);
                });
    }

    /** Waits until the daemon's stderr contains {@code text}. */
    public static void awaitLog(BackgroundProcess process, String text, Duration within) {
        await("'" + text + "' in the log of " + process.label())
                .atMost(within)
                .pollInterval(POLL)
                .until(() -> process.stderr().contains(text));
    }

    /** Throws with the daemon's stderr if it is no longer running. */
    public static void requireAlive(BackgroundProcess process) {
        if (!process.isAlive()) {
            throw new AssertionError(process.label() + " exited with code " + process.awaitExit(Duration.ZERO)
                    + "; stderr:\n" + process.stderr());
        }
    }
}
