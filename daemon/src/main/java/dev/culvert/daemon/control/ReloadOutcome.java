package dev.culvert.daemon.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a reload did, as the daemon logs it and the control socket's {@code reload} answer carries it
 * ({@code culvert reload} prints it and turns {@link #result()} into its exit code).
 *
 * @param result   applied, partly applied (a tunnel could not start), or refused (nothing changed)
 * @param problems why it was refused: {@code file:line: key: message} lines, or the setting a reload
 *                 cannot change; empty otherwise
 * @param settings the daemon-wide settings it changed live ({@code culvert.log-level info -> debug}); empty if none
 * @param tunnels  what happened to each tunnel, in the new configuration's order, then the removed ones
 */
public record ReloadOutcome(Result result, List<String> problems, List<String> settings, List<TunnelChange> tunnels) {

    /** Whether the new configuration is running. */
    public enum Result {
        /** Every tunnel of the new configuration runs as configured. */
        APPLIED,
        /** Applied, but a tunnel could not start: see {@link Change#KEPT_OLD} and {@link Change#FAILED}. */
        PARTLY_APPLIED,
        /** Invalid, or a change a reload cannot make: the running configuration stays as it was. */
        REFUSED;

        public String tag() {
            return name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }
    }

    /** What a reload did to one tunnel. */
    public enum Change {
        UNCHANGED,
        /** Only live settings changed (keepalive, allowed IPs, endpoint, ...): applied in place, device and session kept. */
        UPDATED,
        /** A setting a live tunnel cannot change (its device, transport, peer key) changed: stopped and started
         * again with the new ones, on a new device. */
        RESTARTED,
        ADDED,
        REMOVED,
        /**
         * Its new settings could not start (see the reason); it was started again on its previous settings, on a
         * new device (the old one went when the tunnel stopped for the restart): the previous settings restored.
         */
        KEPT_OLD,
        /** It could not start and has no previous settings to run on; retried if persist is on. */
        FAILED;

        public String tag() {
            return name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }
    }

    /**
     * @param details         UPDATED: what changed in place ({@code keepalive 25s -> 10s}); RESTARTED and KEPT_OLD:
     *                        the settings that needed the restart ({@code device.mtu 1420 -> 1500}); else empty
     * @param reason          why it could not start (KEPT_OLD, FAILED), else null
     * @param nextRetryMillis for FAILED: wall-clock millis of the next attempt, 0 if none (persist off)
     * @param retryInSeconds  for FAILED with a retry: the wait as the daemon chose it ({@link RetryTiming}), else 0
     */
    public record TunnelChange(String name, Change change, List<String> details, String reason, long nextRetryMillis,
                               long retryInSeconds) {
        public TunnelChange {
            details = List.copyOf(details);
        }

        public static TunnelChange of(String name, Change change) {
            return of(name, change, List.of());
        }

        public static TunnelChange of(String name, Change change, List<String> details) {
            return new TunnelChange(name, change, details, null, 0, 0);
        }

        /** Previous settings restored after {@code details} could not start for {@code reason}. */
        public static TunnelChange keptOld(String name, List<String> details, String reason) {
            return new TunnelChange(name, Change.KEPT_OLD, details, reason, 0, 0);
        }

        /** Not running; tried again in {@code retryInSeconds} at {@code nextRetryMillis}, or never if that is 0. */
        public static TunnelChange failed(String name, String reason, long nextRetryMillis, long retryInSeconds) {
            return new TunnelChange(name, Change.FAILED, List.of(), reason, nextRetryMillis, retryInSeconds);
        }
    }

    public ReloadOutcome {
        problems = List.copyOf(problems);
        settings = List.copyOf(settings);
        tunnels = List.copyOf(tunnels);
    }

    public static ReloadOutcome refused(List<String> problems) {
        return new ReloadOutcome(Result.REFUSED, problems, List.of(), List.of());
    }

    /** This outcome, saying also which daemon-wide settings it changed live. */
    public ReloadOutcome withSettings(List<String> changed) {
        return new ReloadOutcome(result, problems, changed, tunnels);
    }

    /** APPLIED, or PARTLY_APPLIED if any tunnel is KEPT_OLD or FAILED. */
    public static ReloadOutcome applied(List<TunnelChange> tunnels) {
        boolean partly = tunnels.stream().anyMatch(t -> t.change() == Change.KEPT_OLD || t.change() == Change.FAILED);
        return new ReloadOutcome(partly ? Result.PARTLY_APPLIED : Result.APPLIED, List.of(), List.of(), tunnels);
    }

    public long count(Change change) {
        return tunnels.stream().filter(t -> t.change() == change).count();
    }

    /** The answer line (without the newline). */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", Status.PROTOCOL_VERSION);
        m.put("reload", result.name().toLowerCase(Locale.ROOT));
        m.put("problems", problems);
        m.put("settings", settings);
        List<Object> list = new ArrayList<>();
        for (TunnelChange t : tunnels) {
            Map<String, Object> tm = new LinkedHashMap<>();
            tm.put("name", t.name());
            tm.put("change", t.change().name().toLowerCase(Locale.ROOT));
            tm.put("changes", t.details());
            tm.put("reason", t.reason());
            tm.put("next_retry", t.nextRetryMillis() / 1000);
            tm.put("retry_in", t.retryInSeconds());
            list.add(tm);
        }
        m.put("tunnels", list);
        return ControlJson.write(m);
    }

    /**
     * Reads an answer; {@code {"error": "..."}} becomes an IllegalArgumentException with that message.
     */
    @SuppressWarnings("unchecked")
    public static ReloadOutcome fromJson(String json) {
        Map<String, Object> m = ControlJson.readAnswer(json);
        Result result;
        try {
            result = Result.valueOf(String.valueOf(m.get("reload")).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the daemon's answer is no reload outcome: " + json, e);
        }
        List<String> problems = strings(m.get("problems"));
        List<String> settings = strings(m.get("settings"));
        List<TunnelChange> tunnels = new ArrayList<>();
        if (m.get("tunnels") instanceof List<?> ts) {
            for (Object o : ts) {
                Map<String, Object> t = (Map<String, Object>) o;
                long next = t.get("next_retry") instanceof Number n ? n.longValue() * 1000 : 0;
                long retryIn = t.get("retry_in") instanceof Number n ? n.longValue() : 0;
                tunnels.add(new TunnelChange(String.valueOf(t.get("name")),
                        Change.valueOf(String.valueOf(t.get("change")).toUpperCase(Locale.ROOT)),
                        strings(t.get("changes")), (String) t.get("reason"), next, retryIn));
            }
        }
        return new ReloadOutcome(result, problems, settings, tunnels);
    }

    private static List<String> strings(Object list) {
        List<String> out = new ArrayList<>();
        if (list instanceof List<?> items) {
            items.forEach(i -> out.add(String.valueOf(i)));
        }
        return out;
    }
}
