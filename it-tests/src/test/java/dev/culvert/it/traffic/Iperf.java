package dev.culvert.it.traffic;

import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.ExecResult;
import dev.culvert.it.harness.Netns;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A short iperf3 TCP run across a tunnel: a one-shot server in one namespace, the client in another. */
public final class Iperf {

    /** iperf3's default port. */
    public static final int PORT = 5201;

    private static final Pattern RECEIVED_BYTES =
            Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*?\"bytes\"\\s*:\\s*(\\d+)", Pattern.DOTALL);
    private static final Pattern BITS_PER_SECOND =
            Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)", Pattern.DOTALL);

    private static final Pattern SUM_SENT = Pattern.compile("\"sum_sent\"\\s*:\\s*\\{([^}]*)\\}");
    private static final Pattern SUM_RECEIVED = Pattern.compile("\"sum_received\"\\s*:\\s*\\{([^}]*)\\}");
    private static final Pattern REVERSE = Pattern.compile("\"reverse\"\\s*:\\s*(\\d+)");

    private Iperf() {
    }

    /**
     * The outcome of one run.
     *
     * @param bytesReceived  bytes the server received
     * @param bitsPerSecond  the receiver's average rate
     */
    public record Result(long bytesReceived, double bitsPerSecond) {
    }

    /**
     * Both ends' totals of one TCP run, from the client's JSON report (iperf3 fetches the server's figures at the end).
     *
     * @param reverse       whether the server sent ({@code --reverse}) instead of the client
     * @param bytesSent     bytes the sender wrote into its socket
     * @param bytesReceived bytes the receiver read
     * @param retransmits   segments the sender's TCP retransmitted (from TCP_INFO; one count per MSS-sized segment)
     * @param bitsPerSecond the receiver's average rate
     */
    public record Transfer(boolean reverse, long bytesSent, long bytesReceived, long retransmits, double bitsPerSecond) {
    }

    /**
     * Runs {@code iperf3 -c serverIp -t seconds [--reverse]} from {@code clientNs} against a server bound to
     * {@code serverIp} in {@code serverNs}: with {@code reverse} the data flows from the server to the client.
     */
    public static Transfer measure(Netns serverNs, String serverIp, Netns clientNs, int seconds, boolean reverse) {
        List<String> options = new ArrayList<>(List.of("--time", Integer.toString(seconds)));
        if (reverse) {
            options.add("--reverse");
        }
        return parseTransfer(runJson(serverNs, serverIp, clientNs, Duration.ofSeconds(seconds + 30L),
                options.toArray(String[]::new)));
    }

    /**
     * Runs {@code iperf3 -c serverIp -t seconds} from {@code clientNs} against a server bound to
     * {@code serverIp} in {@code serverNs}.
     */
    public static Result run(Netns serverNs, String serverIp, Netns clientNs, int seconds) {
        return run(serverNs, serverIp, clientNs, Duration.ofSeconds(seconds + 30L),
                "--time", Integer.toString(seconds));
    }

    /**
     * Sends the first {@code bytes} bytes of {@code file} ({@code iperf3 --file F --bytes N}) from {@code clientNs}
     * to a server bound to {@code serverIp} in {@code serverNs}: a payload whose content the test chooses
     * (iperf3's own is random).
     */
    public static Result sendFile(Netns serverNs, String serverIp, Netns clientNs, Path file, long bytes) {
        return run(serverNs, serverIp, clientNs, Duration.ofSeconds(60),
                "--file", file.toString(), "--bytes", Long.toString(bytes));
    }

    private static Result run(Netns serverNs, String serverIp, Netns clientNs, Duration limit, String... clientOptions) {
        return parse(runJson(serverNs, serverIp, clientNs, limit, clientOptions));
    }

    /** Runs a one-off server and the client, and returns the client's JSON report. */
    private static String runJson(Netns serverNs, String serverIp, Netns clientNs, Duration limit,
                                  String... clientOptions) {
        try (BackgroundProcess server = serverNs.spawn("iperf3-server",
                "iperf3", "--server", "--one-off", "--bind", serverIp, "--port", Integer.toString(PORT))) {
            await("iperf3 server listening on " + serverIp + ":" + PORT + " in " + serverNs)
                    .atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        if (!server.isAlive()) {
                            throw new AssertionError("iperf3 server exited early; stderr:\n" + server.stderr());
                        }
                        return !serverNs.exec("ss", "-Hltn", "sport = :" + PORT).stdout().isBlank();
                    });
            List<String> command = new ArrayList<>(List.of("iperf3", "--client", serverIp,
                    "--port", Integer.toString(PORT), "--json"));
            command.addAll(List.of(clientOptions));
            ExecResult client = clientNs.exec(command, null, Map.of(), limit);
            client.requireSuccess();
            return client.stdout();
        }
    }

    /** Reads both ends' totals from iperf3's JSON report of a TCP run. */
    static Transfer parseTransfer(String json) {
        String sent = group(SUM_SENT, json, "sum_sent");
        String received = group(SUM_RECEIVED, json, "sum_received");
        Matcher reverse = REVERSE.matcher(json);
        return new Transfer(reverse.find() && !reverse.group(1).equals("0"), (long) number(sent, "bytes", json),
                (long) number(received, "bytes", json), (long) number(sent, "retransmits", json),
                number(received, "bits_per_second", json));
    }

    private static String group(Pattern pattern, String json, String what) {
        Matcher m = pattern.matcher(json);
        if (!m.find()) {
            throw new AssertionError("no " + what + " in iperf3's report:\n" + json);
        }
        return m.group(1);
    }

    private static double number(String object, String field, String json) {
        Matcher m = Pattern.compile("\"" + field + "\"\\s*:\\s*([0-9.eE+-]+)").matcher(object);
        if (!m.find()) {
            throw new AssertionError("no " + field + " in {" + object + "} of iperf3's report:\n" + json);
        }
        return Double.parseDouble(m.group(1));
    }

    /** Reads the receiver's totals from iperf3's JSON report. */
    static Result parse(String json) {
        Matcher bytes = RECEIVED_BYTES.matcher(json);
        Matcher rate = BITS_PER_SECOND.matcher(json);
        if (!bytes.find() || !rate.find()) {
            throw new AssertionError("no sum_received in iperf3's report:\n" + json);
        }
        return new Result(Long.parseLong(bytes.group(1)), Double.parseDouble(rate.group(1)));
    }
}
