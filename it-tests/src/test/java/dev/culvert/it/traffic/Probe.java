package dev.culvert.it.traffic;

import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.ExecResult;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.Workspace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Runs {@link UdpProbe} (and its control, {@link UdpEcho}) inside a namespace with this JVM's own java and classes. */
public final class Probe {

    private Probe() {
    }

    /**
     * What came back.
     *
     * @param sent    datagrams sent
     * @param replies each datagram received, in order
     */
    public record Result(int sent, List<byte[]> replies) {
    }

    /**
     * Sends {@code payloads} from a fresh UDP socket in {@code from} to {@code hostPort}, then
     * collects replies to that socket for {@code wait}.
     */
    public static Result send(Netns from, String hostPort, List<byte[]> payloads, Duration wait) {
        int colon = hostPort.lastIndexOf(':');
        Path payloadFile = writePayloads(payloads);
        ExecResult result = from.exec(List.of(java(), "-XX:+UseSerialGC", "-cp", classpath(),
                        UdpProbe.class.getName(), hostPort.substring(0, colon), hostPort.substring(colon + 1),
                        Long.toString(wait.toMillis()), payloadFile.toString()),
                null, Map.of(), wait.plusSeconds(30)).requireSuccess();
        int sent = 0;
        List<byte[]> replies = new java.util.ArrayList<>();
        for (String line : result.stdout().split("\n")) {
            String[] words = line.strip().split(" ");
            if (words[0].equals("sent")) {
                sent = Integer.parseInt(words[1]);
            } else if (words[0].equals("reply")) {
                replies.add(words.length > 2 ? HexFormat.of().parseHex(words[2]) : new byte[0]);
            }
        }
        return new Result(sent, replies);
    }

    /**
     * Starts {@link UdpEcho} on {@code hostPort} in {@code netns} for {@code seconds}, and
     * returns once it listens.
     */
    public static BackgroundProcess startEcho(Netns netns, String hostPort, int seconds) {
        int colon = hostPort.lastIndexOf(':');
        BackgroundProcess echo = netns.spawn("udp-echo", Map.of(), List.of(java(), "-XX:+UseSerialGC", "-cp", classpath(),
                UdpEcho.class.getName(), hostPort.substring(0, colon), hostPort.substring(colon + 1),
                Integer.toString(seconds)));
        await("udp echo listening on " + hostPort).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> echo.stdout().contains("listening"));
        return echo;
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static Path writePayloads(List<byte[]> payloads) {
        try {
            Path file = Workspace.newDir("probe").resolve("payloads.hex");
            Files.writeString(file, payloads.stream().map(HexFormat.of()::formatHex).collect(Collectors.joining("\n")) + "\n");
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write probe payloads", e);
        }
    }

    static String classpath() {
        try {
            return Path.of(UdpProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the test classes", e);
        }
    }
}
