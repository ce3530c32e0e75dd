package dev.culvert.it.traffic;

import dev.culvert.it.harness.Netns;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A namespace's IP, ICMP, TCP and UDP counters from {@code /proc/net/snmp} (per network namespace; RFC 1213's
 * MIB-II names plus Linux's own, such as {@code InCsumErrors}), keyed {@code Tcp.InCsumErrors}.
 */
public final class Snmp {

    private Snmp() {
    }

    /** The namespace's counters now. */
    public static Map<String, Long> read(Netns netns) {
        return parse(netns.exec("cat", "/proc/net/snmp").requireSuccess().stdout());
    }

    /**
     * Reads the file's pairs of lines, {@code Tcp: Name1 Name2 ...} then {@code Tcp: 1 2 ...}.
     *
     * @throws AssertionError if a pair does not line up
     */
    static Map<String, Long> parse(String text) {
        List<String> lines = text.lines().filter(l -> !l.isBlank()).toList();
        Map<String, Long> counters = new LinkedHashMap<>();
        for (int i = 0; i + 1 < lines.size(); i += 2) {
            String[] names = lines.get(i).trim().split("\\s+");
            String[] values = lines.get(i + 1).trim().split("\\s+");
            if (names.length != values.length || !names[0].equals(values[0]) || !names[0].endsWith(":")) {
                throw new AssertionError("/proc/net/snmp lines do not pair up:\n" + lines.get(i) + "\n" + lines.get(i + 1));
            }
            String group = names[0].substring(0, names[0].length() - 1);
            for (int k = 1; k < names.length; k++) {
                counters.put(group + "." + names[k], Long.parseLong(values[k]));
            }
        }
        return counters;
    }
}
