package dev.culvert.daemon.control;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Renders a {@link Status} the way {@code wg show} does, plus Culvert's state, device, transport and drops. */
public final class StatusText {
    private StatusText() {}

    /** @param nowEpochSecond the time "x seconds ago" is measured from */
    public static String render(Status status, long nowEpochSecond) {
        StringBuilder out = new StringBuilder();
        // wg show heads its output with "interface: wg0", the thing that holds the key and the port; here that
        // is the daemon, named by its instance (culvert@NAME), with the file it runs.
        out.append("instance: ").append(status.instance() == null ? "(not named by this daemon)" : status.instance())
                .append('\n');
        if (status.configFile() != null) {
            out.append("  config: ").append(status.configFile()).append('\n');
        }
        out.append("  public key: ").append(status.publicKey()).append('\n');
        if (status.listenPort() != 0) {
            out.append("  listening port: ").append(status.listenPort()).append('\n');
        }
        if (status.legacyListenPort() != 0) {
            out.append("  listening port (vtun-legacy, tcp): ").append(status.legacyListenPort()).append('\n');
        }
        if (!status.interfaceDrops().isEmpty()) {
            out.append("  drops: ").append(drops(status.interfaceDrops())).append('\n');
        }
        for (Status.TunnelStatus t : status.tunnels()) {
            out.append('\n');
            out.append("tunnel: ").append(t.name()).append('\n');
            out.append("  state: ").append(t.state()).append('\n');
            if (t.failure() != null) {
                out.append(t.state().equals("failed") ? "  failed: "
                        : "  reload failed (previous settings restored; device re-created): ").append(t.failure());
                if (t.nextRetryEpochSecond() != 0) {
                    out.append("; next retry in ").append(RetryTiming.text(t.retryInSeconds()));
                }
                out.append('\n');
            }
            out.append("  device: ").append(t.device()).append(" (").append(t.mode()).append(")\n");
            out.append("  transport: ").append(t.transport());
            if (t.compression() != null && !t.compression().equals("off")) {
                out.append(", compression ").append(t.compression());
            }
            out.append('\n');
            if (t.insecure() != null) {
                out.append("  insecure: ").append(t.insecure())
                        .append(" (no MAC, no replay protection, a password-derived static key)\n");
            }
            if (t.legacySession() != null) {
                out.append("  vtund session: ").append(t.legacySession()).append('\n');
            }
            out.append("  peer: ").append(t.peerPublicKey() == null || t.peerPublicKey().isEmpty()
                    ? "(no key: vtund password)" : t.peerPublicKey()).append('\n');
            if (t.endpoint() != null) {
                out.append("    endpoint: ").append(t.endpoint()).append('\n');
            }
            out.append("    allowed ips: ").append(t.allowedIps().isEmpty() ? "(none)" : String.join(", ", t.allowedIps()))
                    .append('\n');
            if (t.latestHandshakeEpochSecond() != 0) {
                out.append("    latest handshake: ")
                        .append(ago(nowEpochSecond - t.latestHandshakeEpochSecond())).append('\n');
            }
            if (t.rxBytes() != 0 || t.txBytes() != 0) {
                out.append("    transfer: ").append(bytes(t.rxBytes())).append(" received, ")
                        .append(bytes(t.txBytes())).append(" sent\n");
            }
            if (t.persistentKeepaliveSeconds() != 0) {
                out.append("    persistent keepalive: every ").append(units(t.persistentKeepaliveSeconds())).append('\n');
            }
            out.append("  drops: ").append(t.drops().isEmpty() ? "none" : drops(t.drops())).append('\n');
        }
        return out.toString();
    }

    /** "1 minute, 5 seconds ago"; "Now" under a second, as wg says. */
    static String ago(long seconds) {
        return seconds <= 0 ? "Now" : units(seconds) + " ago";
    }

    public static String units(long seconds) {
        long[] sizes = {365L * 24 * 3600, 24 * 3600, 3600, 60, 1};
        String[] names = {"year", "day", "hour", "minute", "second"};
        List<String> parts = new ArrayList<>();
        long left = seconds;
        for (int i = 0; i < sizes.length; i++) {
            long n = left / sizes[i];
            left %= sizes[i];
            if (n > 0) {
                parts.add(n + " " + names[i] + (n == 1 ? "" : "s"));
            }
        }
        return parts.isEmpty() ? "0 seconds" : String.join(", ", parts);
    }

    /** "1.23 KiB", "512 B", as wg prints transfer. */
    static String bytes(long n) {
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        if (n < 1024) {
            return n + " B";
        }
        double v = n;
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.2f %s", v, units[i]);
    }

    private static String drops(Map<String, Long> drops) {
        return drops.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }
}
