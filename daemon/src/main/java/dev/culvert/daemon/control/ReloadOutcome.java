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
 * @param tunnels  what happened to each tunnel, in the new configuration's order, then the removed ones
 */
public record ReloadOutcome(Result result, List<String> problems, List<TunnelChange> tunnels) {

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
        /** Its settings changed: stopped and started again with the new ones. */
        RESTARTED,
        ADDED,
        REMOVED,
        /** Its new settings could not start; it runs again with the previous ones (see the reason). */
        KEPT_OLD,
        /** It could not start and has no previous settings to run on; retried if persist is on. */
        FAILED;

        public String tag() {
            return name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }
    }

    /**
     * @param reason          why it could not start (KEPT_OLD, FAILED), else null
     * @param nextRetryMillis for FAILED: wall-clock millis of the next attempt, 0 if none (persist off)
     */
    public record TunnelChange(String name, Change change, String reason, long nextRetryMillis) {
        public static TunnelChange of(String name, Change change) {
            return new TunnelChange(name, change, null, 0);
        }
    }

    public ReloadOutcome {
        problems = List.copyOf(problems);
        tunnels = List.copyOf(tunnels);
    }

    public static ReloadOutcome refused(List<String> problems) {
        return new ReloadOutcome(Result.REFUSED, problems, List.of());
    }

    /** APPLIED, or PARTLY_APPLIED if any tunnel is KEPT_OLD or FAILED. */
    public static ReloadOutcome applied(List<TunnelChange> tunnels) {
        boolean partly = tunnels.stream().anyMatch(t -> t.change() == Change.KEPT_OLD || t.change() == Change.FAILED);
        return new ReloadOutcome(partly ? Result.PARTLY_APPLIED : Result.APPLIED, List.of(), tunnels);
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
        List<Object> list = new ArrayList<>();
        for (TunnelChange t : tunnels) {
            Map<String, Object> tm = new LinkedHashMap<>();
            tm.put("name", t.name());
            tm.put("change", t.change().name().toLowerCase(Locale.ROOT));
            tm.put("reason", t.reason());
            tm.put("next_retry", t.nextRetryMillis() / 1000);
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
        Map<String, Object> m = ControlJson.read(json);
        if (m.containsKey("error")) {
            throw new IllegalArgumentException(String.valueOf(m.get("error")));
        }
        Result result;
        try {
            result = Result.valueOf(String.valueOf(m.get("reload")).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the daemon's answer is no reload outcome: " + json, e);
        }
        List<String> problems = new ArrayList<>();
        if (m.get("problems") instanceof List<?> ps) {
            ps.forEach(p -> problems.add(String.valueOf(p)));
        }
        List<TunnelChange> tunnels = new ArrayList<>();
        if (m.get("tunnels") instanceof List<?> ts) {
            for (Object o : ts) {
                Map<String, Object> t = (Map<String, Object>) o;
                long next = t.get("next_retry") instanceof Number n ? n.longValue() * 1000 : 0;
                tunnels.add(new TunnelChange(String.valueOf(t.get("name")),
                        Change.valueOf(String.valueOf(t.get("change")).toUpperCase(Locale.ROOT)),
                        (String) t.get("reason"), next));
            }
        }
        return new ReloadOutcome(result, problems, tunnels);
    }
}
