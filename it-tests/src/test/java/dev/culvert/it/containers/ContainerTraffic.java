package dev.culvert.it.containers;

import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.SafeAddresses;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.testcontainers.containers.Container.ExecResult;

/** Traffic across a tunnel between site containers: ping and iperf3, run inside the containers. */
final class ContainerTraffic {

    /** How long a tunnel may take to pass its first packet (a handshake, maybe a retry after 5 s). */
    static final Duration FIRST_REPLY = Duration.ofSeconds(30);
    /** IPv4 + ICMP headers around a ping payload. */
    static final int ICMP_OVERHEAD = 28;

    private static final int IPERF_PORT = 5201;
    private static final Pattern PING_RECEIVED = Pattern.compile("(\\d+) (?:packets )?received");
    private static final Pattern IPERF_RECEIVED_BYTES =
            Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*?\"bytes\"\\s*:\\s*(\\d+)", Pattern.DOTALL);

    private ContainerTraffic() {
    }

    /** Waits until one ping from {@code from} to the tunnel address {@code to} is answered. */
    static void awaitPing(SiteContainer from, String to) {
        SafeAddresses.requireOverlay(to);
        await("a ping reply from " + to + " to " + from.name()).atMost(FIRST_REPLY).pollInterval(Duration.ZERO)
                .until(() -> from.exec("ping", "-n", "-c", "1", "-W", "1", to).getExitCode() == 0);
    }

    /**
     * Sends {@code count} pings of {@code payload} bytes, 50 ms apart, and returns how many were answered.
     */
    static int ping(SiteContainer from, String to, int count, int payload) {
        SafeAddresses.requireOverlay(to);
        ExecResult result = from.exec("ping", "-n", "-q", "-c", String.valueOf(count), "-i", "0.05", "-W", "2",
                "-s", String.valueOf(payload), to);
        Matcher received = PING_RECEIVED.matcher(result.getStdout());
        if (!received.find()) {
            throw new AssertionError(from.name() + ": no ping summary for " + to + "\nstdout: " + result.getStdout()
                    + "\nstderr: " + result.getStderr());
        }
        return Integer.parseInt(received.group(1));
    }

    /**
     * Runs iperf3 (TCP) for {@code seconds} from {@code client} to {@code server}, reached at its tunnel address
     * {@code serverAddress}, and returns the bytes the server received.
     */
    static long iperf(SiteContainer server, String serverAddress, SiteContainer client, int seconds) {
        SafeAddresses.requireOverlay(serverAddress);
        server.run("iperf3", "--server", "--one-off", "--daemon", "--port", String.valueOf(IPERF_PORT));
        await("iperf3 listening in " + server.name()).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> server.run("ss", "-Htln", "sport = :" + IPERF_PORT).contains(":" + IPERF_PORT));
        String json = client.run("iperf3", "--client", serverAddress, "--port", String.valueOf(IPERF_PORT),
                "--time", String.valueOf(seconds), "--json");
        Matcher bytes = IPERF_RECEIVED_BYTES.matcher(json);
        if (!bytes.find()) {
            throw new AssertionError(client.name() + ": no sum_received in iperf3's report:\n" + json);
        }
        return Long.parseLong(bytes.group(1));
    }
}
