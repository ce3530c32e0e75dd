package dev.culvert.it.traffic;

import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.ExecResult;
import dev.culvert.it.harness.Netns;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
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
}
