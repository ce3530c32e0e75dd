package dev.culvert.it.traffic;

import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.ExecResult;
import dev.culvert.it.harness.Netns;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;

/** ICMP echo across a tunnel, retried until it answers: a handshake takes a moment. */
public final class Ping {

    /** Long enough for a handshake plus a retry (REKEY_TIMEOUT is 5 s) on a loaded machine. */
    public static final Duration DEFAULT_WITHIN = Duration.ofSeconds(30);

    private Ping() {
    }

    /** Pings {@code address} from {@code from} until one echo comes back. */
    public static void awaitReply(Netns from, String address) {
        awaitReply(from, address, DEFAULT_WITHIN);
    }

    /**
     * Pings {@code address} from {@code from} until one echo comes back.
     *
     * @throws AssertionError with the last ping's output if none does within {@code within}
     */
    public static void awaitReply(Netns from, String address, Duration within) {
        AtomicReference<ExecResult> last = new AtomicReference<>();
        try {
            await("ping " + address + " from " + from)
                    .atMost(within)
                    .pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        ExecResult result = once(from, address);
                        last.set(result);
                        return result.ok();
                    });
        } catch (ConditionTimeoutException e) {
            ExecResult result = last.get();
            throw new AssertionError("no ping reply from " + address + " in " + from + " within " + within
                    + (result == null ? "" : "; last attempt: " + result.describe()), e);
        }
    }

    /** One echo request with a one-second wait. */
    public static ExecResult once(Netns from, String address) {
        return from.exec(Duration.ofSeconds(10), "ping", "-n", "-c", "1", "-W", "1", address);
    }

    /**
     * What one run of {@code ping -c N} reported in its summary.
     *
     * @param transmitted echo requests sent
     * @param received    distinct replies (by sequence number) that came back
     * @param duplicates  replies that came back again for a sequence number already answered ({@code DUP!})
     * @param avgMillis   the average round trip, NaN if none came back
     * @param output      the whole output, for messages
     */
    public record Train(int transmitted, int received, int duplicates, double avgMillis, String output) {
        /** Received over transmitted, 0..1. */
        public double deliveredRatio() {
            return transmitted == 0 ? 0 : (double) received / transmitted;
        }

        /** One line for a test's log. */
        public String summary() {
            return String.format(Locale.ROOT, "%d sent, %d received (%.1f %%), %d duplicates, avg rtt %.1f ms",
                    transmitted, received, 100 * deliveredRatio(), duplicates, avgMillis);
        }
    }

    private static final Pattern SENT = Pattern.compile("(\\d+) packets transmitted, (\\d+) received(?:, \\+(\\d+) duplicates)?");
    private static final Pattern RTT = Pattern.compile("= [\\d.]+/([\\d.]+)/");

    /**
     * Sends {@code count} echo requests {@code intervalSeconds} apart (below 0.2 s needs root, which the tests
     * have) and waits up to {@code waitSeconds} for each reply; iputils ping counts each sequence number once and
     * reports a reply seen again as a duplicate.
     *
     * @throws AssertionError if ping prints no summary
     */
    public static Train train(Netns from, String address, int count, double intervalSeconds, int waitSeconds) {
        Duration limit = Duration.ofMillis((long) (count * intervalSeconds * 1000) + waitSeconds * 1000L + 30_000);
        ExecResult result = from.exec(limit, "ping", "-n", "-q", "-c", Integer.toString(count), "-i",
                String.format(Locale.ROOT, "%.3f", intervalSeconds), "-W", Integer.toString(waitSeconds), address);
        return parse(result.stdout());
    }

    /** Reads a ping summary ({@code ping -q} output, or a whole run's). */
    public static Train parse(String output) {
        Matcher sent = SENT.matcher(output);
        if (!sent.find()) {
            throw new AssertionError("no ping summary in:\n" + output);
        }
        Matcher rtt = RTT.matcher(output);
        return new Train(Integer.parseInt(sent.group(1)), Integer.parseInt(sent.group(2)),
                sent.group(3) == null ? 0 : Integer.parseInt(sent.group(3)),
                rtt.find() ? Double.parseDouble(rtt.group(1)) : Double.NaN, output);
    }
}
