package dev.culvert.daemon.control;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One request on the control socket: a JSON object on one line, {@code {"request":"show"}},
 * {@code {"request":"show","tunnel":"NAME"}} or {@code {"request":"reload"}}. The plain words
 * {@code show}, {@code show NAME} and {@code reload} are read as the same requests (for {@code socat} and
 * older clients).
 *
 * @param request show or reload
 * @param tunnel  for show: only this tunnel, or null for every one
 */
public record ControlRequest(String request, String tunnel) {
    public static final String SHOW = "show";
    public static final String RELOAD = "reload";

    public static ControlRequest show(String tunnel) {
        return new ControlRequest(SHOW, tunnel);
    }

    public static ControlRequest reload() {
        return new ControlRequest(RELOAD, null);
    }

    /** The request line (without the newline). */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("request", request);
        if (tunnel != null) {
            m.put("tunnel", tunnel);
        }
        return ControlJson.write(m);
    }

    /**
     * Reads a request line.
     *
     * @throws IllegalArgumentException with the answer's error text if it is no request this daemon knows
     */
    public static ControlRequest parse(String line) {
        String text = line.strip();
        if (text.startsWith("{")) {
            Map<String, Object> m = ControlJson.read(text);
            Object request = m.get("request");
            Object tunnel = m.get("tunnel");
            if (!(request instanceof String r) || (tunnel != null && !(tunnel instanceof String))) {
                throw new IllegalArgumentException("unknown request '" + text + "'; expected: " + expected());
            }
            return known(new ControlRequest(r, (String) tunnel), text);
        }
        String[] words = text.split("\\s+");
        if (words.length == 1) {
            return known(new ControlRequest(words[0], null), text);
        }
        if (words.length == 2 && words[0].equals(SHOW)) {
            return new ControlRequest(SHOW, words[1]);
        }
        throw new IllegalArgumentException("unknown request '" + text + "'; expected: " + expected());
    }

    private static ControlRequest known(ControlRequest r, String text) {
        if (r.request().equals(SHOW) || (r.request().equals(RELOAD) && r.tunnel() == null)) {
            return r;
        }
        throw new IllegalArgumentException("unknown request '" + text + "'; expected: " + expected());
    }

    private static String expected() {
        return "{\"request\":\"show\"[,\"tunnel\":NAME]} or {\"request\":\"reload\"}";
    }
}
