package dev.culvert.it.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.ExecResult;
import dev.culvert.it.harness.Netns;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Runs {@link ByteStream} across a tunnel: a receiver in one namespace, the sender in another. */
public final class StreamTransfer {

    /** Next to iperf3's 5201. */
    public static final int PORT = 5202;

    private static final Duration LISTEN_WITHIN = Duration.ofSeconds(20);
    private static final Duration SEND_LIMIT = Duration.ofSeconds(120);
    private static final Duration RECEIVER_EXIT = Duration.ofSeconds(30);

    private StreamTransfer() {
    }

    /**
     * Sends {@code bytes} pseudo-random bytes from {@code senderNs} to a receiver bound to {@code receiverIp} in
     * {@code receiverNs} over one TCP connection, and checks the receiver read exactly them: as many, with the same
     * SHA-256.
     *
     * @throws AssertionError if either end fails or what arrived differs from what was sent
     */
    public static void requireIntact(Netns receiverNs, String receiverIp, Netns senderNs, long bytes, long seed) {
        String port = Integer.toString(PORT);
        try (BackgroundProcess receiver = receiverNs.spawn("byte-stream", Map.of(), List.of(Probe.java(),
                "-XX:+UseSerialGC", "-cp", Probe.classpath(), ByteStream.class.getName(), "receive", receiverIp, port))) {
            await("byte stream receiver listening on " + receiverIp + ":" + port + " in " + receiverNs)
                    .atMost(LISTEN_WITHIN).pollInterval(Duration.ofMillis(100)).until(() -> {
                        if (!receiver.isAlive()) {
                            throw new AssertionError("byte stream receiver exited early; stderr:\n" + receiver.stderr());
                        }
                        return receiver.stdout().contains("listening");
                    });
            ExecResult sender = senderNs.exec(List.of(Probe.java(), "-XX:+UseSerialGC", "-cp", Probe.classpath(),
                    ByteStream.class.getName(), "send", receiverIp, port, Long.toString(bytes), Long.toString(seed)),
                    null, Map.of(), SEND_LIMIT).requireSuccess();
            assertThat(receiver.awaitExit(RECEIVER_EXIT)).as("byte stream receiver's exit code; stderr:%n%s",
                    receiver.stderr()).isZero();
            String sent = line(sender.stdout(), "sent ");
            assertThat(sent).as("what the sender in %s says it sent", senderNs).startsWith(bytes + " ");
            assertThat(line(receiver.stdout(), "received ")).as("count and SHA-256 of what %s received from %s",
                    receiverNs, senderNs).isEqualTo(sent);
        }
    }

    private static String line(String output, String prefix) {
        return output.lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).findFirst()
                .orElseThrow(() -> new AssertionError("no '" + prefix + "' line in:\n" + output));
    }
}
