package dev.culvert.it.containers;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tunnel's byte counters as an operator reads them inside a site: from {@code culvert show TUNNEL --json}
 * (the control socket) or from the Prometheus text at {@code http://127.0.0.1:9586/metrics}.
 *
 * @param text          what was read, for messages
 * @param sentBytes     bytes sent to the peer
 * @param receivedBytes bytes received from the peer
 */
record SiteReadout(String text, long sentBytes, long receivedBytes) {

    /** The default of {@code culvert.metrics.bind}. */
    static final String METRICS_URL = "http://127.0.0.1:9586/metrics";

    private static final String NUMBER = "\"\\s*:\\s*(\\d+)";
    // The JSON names are the control protocol's; these accept the usual spellings (rx_bytes, receivedBytes,
    // bytes_received, "transfer": {"received": N}) so the test checks values, not a naming choice.
    private static final List<Pattern> SHOW_SENT = List.of(
            Pattern.compile("\"(?i:(?:tx|sent|transmitted)[_-]?bytes|bytes[_-]?(?:tx|sent))" + NUMBER),
            Pattern.compile("\"transfer\"\\s*:\\s*\\{[^}]*\"(?i:sent|tx)" + NUMBER));
    private static final List<Pattern> SHOW_RECEIVED = List.of(
            Pattern.compile("\"(?i:(?:rx|received)[_-]?bytes|bytes[_-]?(?:rx|received))" + NUMBER),
            Pattern.compile("\"transfer\"\\s*:\\s*\\{[^}]*\"(?i:received|rx)" + NUMBER));

    /** {@code culvert show TUNNEL --json}, run inside {@code site}. */
    static SiteReadout show(SiteContainer site, String tunnel) {
        String json = site.run("culvert", "show", tunnel, "--json");
        return new SiteReadout(json, find(json, SHOW_SENT, "bytes sent"), find(json, SHOW_RECEIVED, "bytes received"));
    }

    /** The tunnel's meters, scraped with curl inside {@code site}. */
    static SiteReadout metrics(SiteContainer site, String tunnel) {
        String text = site.run("curl", "--silent", "--show-error", "--fail", "--max-time", "5", METRICS_URL);
        return new SiteReadout(text, meter(text, "culvert_tunnel_sent_bytes_total", tunnel),
                meter(text, "culvert_tunnel_received_bytes_total", tunnel));
    }

    private static long find(String json, List<Pattern> patterns, String what) {
        for (Pattern pattern : patterns) {
            Matcher match = pattern.matcher(json);
            if (match.find()) {
                return Long.parseLong(match.group(1));
            }
        }
        throw new AssertionError("no count of " + what + " in culvert show --json:\n" + json);
    }

    private static long meter(String text, String name, String tunnel) {
        Pattern line = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{[^}]*tunnel=\"" + Pattern.quote(tunnel)
                + "\"[^}]*\\}\\s+(\\S+)");
        Matcher match = line.matcher(text);
        if (!match.find()) {
            throw new AssertionError("no " + name + "{tunnel=\"" + tunnel + "\"} at " + METRICS_URL + ":\n" + text);
        }
        return (long) Double.parseDouble(match.group(1));
    }
}
