package dev.culvert.daemon.cli;

import dev.culvert.daemon.control.ControlClient;
import dev.culvert.daemon.control.ControlRequest;
import dev.culvert.daemon.control.ReloadOutcome;
import dev.culvert.daemon.control.RetryTiming;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code culvert reload [--config FILE | --socket PATH]}: asks a running daemon over its control socket to
 * re-read its config file (as SIGHUP does), waits for the outcome and prints it; the exit code says
 * whether it was applied (the packaged unit's {@code ExecReload=}, so {@code systemctl reload} fails
 * visibly).
 */
@Command(name = "reload", description = {"Ask a running daemon to re-read its config file (as SIGHUP does), wait "
        + "for the outcome and print it: the daemon-wide settings it applied (culvert.log-level), then each tunnel "
        + "unchanged, updated in place (and what changed), restarted (and the settings that needed it), added or "
        + "removed; when refused, every file:line: key: message problem, or the daemon-wide setting that needs a "
        + "restart. Finds the daemon as show does: by --config, --socket, or as the only live control socket in "
        + "/run/culvert.",
        "Exit status: 0 applied; 1 no daemon answered (or its answer was unreadable); 2 usage error (also: "
                + "several daemons run and none was named); "
                + "3 refused (invalid file, or a setting only a restart can change): the running configuration "
                + "stays; 4 partly applied: a tunnel could not start and runs on its previous settings (on a "
                + "re-created device) or is "
                + "retried (see culvert show)."})
final class ReloadCommand implements Callable<Integer> {
    /** Exit status: the daemon could not be asked (no socket, no answer, unreadable answer). */
    static final int NO_DAEMON = 1;
    /** Exit status: refused; nothing changed. */
    static final int REFUSED = 3;
    /** Exit status: applied, but a tunnel could not start. */
    static final int PARTLY_APPLIED = 4;

    @ArgGroup(exclusive = true)
    ShowCommand.Target target;

    @Override
    public Integer call() {
        Path socket;
        try {
            socket = ShowCommand.findSocket(target, note -> System.err.println("culvert reload: " + note));
        } catch (ShowCommand.NotChosen e) {
            System.err.println("culvert reload: " + e.getMessage());
            return e.exitStatus;
        }
        String answer;
        try {
            answer = ControlClient.request(socket, ControlRequest.reload());
        } catch (IOException e) {
            System.err.println("culvert reload: cannot reach the daemon on " + socket + ": " + e.getMessage()
                    + " (is it running?)");
            return NO_DAEMON;
        }
        ReloadOutcome outcome;
        try {
            outcome = ReloadOutcome.fromJson(answer);
        } catch (IllegalArgumentException e) {
            System.err.println("culvert reload: " + e.getMessage());
            return NO_DAEMON;
        }
        return print(outcome, System.out, System.err);
    }

    /**
     * Prints {@code outcome} (problems to {@code err}) and returns the exit status. A retry's wait is the daemon's
     * own count ({@link ReloadOutcome.TunnelChange#retryInSeconds}), the number its log and STATUS= give.
     */
    static int print(ReloadOutcome outcome, PrintStream out, PrintStream err) {
        if (outcome.result() == ReloadOutcome.Result.REFUSED) {
            outcome.problems().forEach(err::println);
            err.println("culvert reload: refused; the running configuration stays");
            return REFUSED;
        }
        out.println("culvert reload: " + outcome.result().tag());
        outcome.settings().forEach(setting -> out.println("  " + setting));
        for (ReloadOutcome.TunnelChange t : outcome.tunnels()) {
            StringBuilder line = new StringBuilder("  ").append(t.name()).append(": ");
            String details = String.join(", ", t.details());
            switch (t.change()) {
                case UPDATED -> line.append("updated in place: ").append(details);
                case RESTARTED -> line.append("restarted").append(details.isEmpty() ? "" : ": " + details);
                case KEPT_OLD -> line.append("new settings failed").append(details.isEmpty() ? "" : " (" + details + ")")
                        .append(": ").append(t.reason()).append("; previous settings restored (device re-created)");
                case FAILED -> {
                    line.append("failed: ").append(t.reason());
                    line.append(t.nextRetryMillis() == 0 ? "; not retried (persist is off)"
                            : "; next retry in " + RetryTiming.text(t.retryInSeconds()));
                }
                default -> line.append(t.change().tag());
            }
            out.println(line);
        }
        return outcome.result() == ReloadOutcome.Result.APPLIED ? 0 : PARTLY_APPLIED;
    }
}
