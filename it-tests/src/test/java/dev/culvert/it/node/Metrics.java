package dev.culvert.it.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.it.harness.ExecResult;
import dev.culvert.it.harness.Netns;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A daemon's Prometheus endpoint at its default address, {@code 127.0.0.1:9586}, read inside the daemon's own
 * namespace (each has its own loopback).
 */
public final class Metrics {

    /** An HTTP/1.0 GET over bash's /dev/tcp: no HTTP client needs to be installed in CI. */
    private static final String SCRAPE = "exec 3<>/dev/tcp/127.0.0.1/9586 && "
            + "printf 'GET /metrics HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3 && timeout 5 cat <&3";

    private Metrics() {
    }

    /**
     * The whole exposition text (HTTP status line and headers included).
     *
     * @throws AssertionError if the request fails or the answer is not 200
     */
    public static String scrape(Netns site) {
        ExecResult result = site.exec(Duration.ofSeconds(10), "bash", "-c", SCRAPE);
        assertThat(result.ok()).as("GET /metrics in %s: %s", site, result.describe()).isTrue();
        assertThat(result.stdout()).as("response in %s", site).startsWith("HTTP/1.1 200");
        return result.stdout();
    }

    /**
     * The peer's current endpoint as {@code culvert_tunnel_endpoint{endpoint="...",tunnel="NAME"}} shows it
     * ({@code 192.0.2.2:41000}, {@code [2001:db8:1::2]:41000}, or {@code none}).
     *
     * @throws AssertionError if the scrape has no endpoint series for the tunnel
     */
    public static String endpoint(String scrape, String tunnel) {
        Matcher m = Pattern.compile("(?m)^culvert_tunnel_endpoint\\{endpoint=\"([^\"]*)\",tunnel=\""
                + Pattern.quote(tunnel) + "\"\\} ").matcher(scrape);
        assertThat(m.find()).as("endpoint series of tunnel %s in the scrape", tunnel).isTrue();
        return m.group(1);
    }

    /**
     * The packets tunnel {@code tunnel} dropped for {@code reason} ({@code too_big}, {@code decrypt_failed}, ...).
     *
     * @throws AssertionError if the scrape has no such series
     */
    public static double drops(String scrape, String tunnel, String reason) {
        return value(scrape, "culvert_tunnel_drops_packets_total{reason=\"" + reason + "\",tunnel=\"" + tunnel + "\"}");
    }

    /**
     * The value of one series, written exactly as exposed, e.g.
     * {@code culvert_tunnel_drops_packets_total{reason="bad_offload",tunnel="t1"}}.
     *
     * @throws AssertionError if the scrape has no such series
     */
    public static double value(String scrape, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
        assertThat(m.find()).as("series %s in the scrape", series).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
