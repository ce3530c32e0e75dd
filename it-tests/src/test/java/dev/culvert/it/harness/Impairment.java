package dev.culvert.it.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A bad network on one end of a test's own underlay link, inside the test's namespace: loss, delay with jitter
 * (which reorders), duplication. Applied on egress, so impairing both ends of a veth impairs both directions.
 *
 * <p>With the kernel's {@code sch_netem} ({@code tc qdisc ... netem}, CONFIG_NET_SCH_NETEM) everything is netem's.
 * A kernel without it (some VM kernels, this project's CI) gets loss and duplication from netfilter inside the
 * namespace ({@code iptables -m statistic} DROP, and TEE to the peer for a second copy,
 * CONFIG_NETFILTER_XT_MATCH_STATISTIC and CONFIG_NETFILTER_XT_TARGET_TEE), and delay from a {@link DelayLine}: the
 * route to the peer goes through a tun device whose program gives each packet back late, and a policy rule sends
 * what comes back out of the link (CONFIG_TUN, CONFIG_IP_MULTIPLE_TABLES). Never touches the host: the commands
 * run in the given namespace on the given link only.
 */
public final class Impairment {

    /** The delay line's tun device, and the routing table (and rule preference) that returns its packets. */
    static final String DELAY_DEVICE = "cvdelay0";
    static final String DELAY_TABLE = "100";

    private static volatile Boolean netem;

    private final Netns netns;
    private final String dev;
    private final String peerAddress;
    private boolean netfilterUsed;
    private BackgroundProcess delayLine;
    private String delaySetting;
    private long reordered = -1;

    private Impairment(Netns netns, String dev, String peerAddress) {
        this.netns = netns;
        this.dev = dev;
        this.peerAddress = SafeAddresses.requireUnderlay(peerAddress);
    }

    /**
     * The impairments of link {@code dev} in {@code netns}, whose other end has {@code peerAddress} (the target of
     * the duplicate copies when netfilter makes them).
     */
    public static Impairment of(Netns netns, String dev, String peerAddress) {
        return new Impairment(netns, dev, peerAddress);
    }

    /** Whether this kernel has {@code sch_netem}: probed once, in a namespace of its own. */
    public static boolean netemAvailable() {
        Boolean known = netem;
        if (known == null) {
            try (Netns probe = Netns.create("netem")) {
                known = Exec.run(probe.inside(List.of("tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay",
                        "1ms")), null, java.util.Map.of(), Exec.DEFAULT_TIMEOUT).ok();
            }
            netem = known;
        }
        return known;
    }

    /** Drops {@code percent} % of the packets leaving on the link, at random. */
    public Impairment loss(int percent) {
        clear();
        if (netemAvailable()) {
            netem("loss", percent + "%");
        } else {
            iptables("filter", "OUTPUT", "-j", "DROP", percent);
        }
        return this;
    }

    /**
     * Delays every packet leaving on the link by {@code millis} ± {@code jitterMillis} (uniform), which reorders
     * packets sent closer together than the jitter: netem's delay, or a {@link DelayLine} without it.
     */
    public Impairment delay(int millis, int jitterMillis) {
        clear();
        if (netemAvailable()) {
            netem("delay", millis + "ms", jitterMillis + "ms");
        } else {
            startDelayLine(millis, jitterMillis);
        }
        return this;
    }

    /** Sends {@code percent} % of the packets leaving on the link twice. */
    public Impairment duplicate(int percent) {
        clear();
        if (netemAvailable()) {
            netem("duplicate", percent + "%");
        } else {
            iptables("mangle", "POSTROUTING", "-j", "TEE", percent, "--gateway", peerAddress);
        }
        return this;
    }

    /** Removes every impairment this class set on the link. Safe to call when none is set. */
    public void clear() {
        if (netemAvailable()) {
            Exec.run(netns.inside(List.of("tc", "qdisc", "del", "dev", dev, "root")), null, java.util.Map.of(),
                    Exec.DEFAULT_TIMEOUT); // fails harmlessly when there is none
        }
        if (delayLine != null) {
            stopDelayLine();
        }
        if (netfilterUsed) {
            netns.exec("iptables", "-t", "filter", "-F", "OUTPUT").requireSuccess();
            netns.exec("iptables", "-t", "mangle", "-F", "POSTROUTING").requireSuccess();
            netfilterUsed = false;
        }
    }

    /**
     * Packets the last {@link DelayLine} gave back after one it had read later, once {@link #clear} stopped it; -1
     * while one runs, when netem did the delay (which does not say) or when there was no delay.
     */
    public long reordered() {
        return reordered;
    }

    /** What is set on the link now, for messages: the qdisc, or the namespace's netfilter rules. */
    public String describe() {
        if (delayLine != null) {
            return "delay line " + DELAY_DEVICE + " " + delaySetting + ", "
                    + netns.exec("ip", "route", "get", peerAddress).stdout().strip();
        }
        if (netemAvailable()) {
            return netns.exec("tc", "qdisc", "show", "dev", dev).stdout().strip();
        }
        List<String> rules = new ArrayList<>();
        for (String table : List.of("filter", "mangle")) {
            netns.exec("iptables", "-t", table, "-S").stdout().lines().filter(l -> l.startsWith("-A ")).forEach(rules::add);
        }
        return "iptables " + String.join("; ", rules);
    }

    /**
     * Routes the packets for the peer through a {@link DelayLine} on {@value #DELAY_DEVICE}: locally sent packets
     * take the more specific route into the tun device; what the delay line writes back arrives on it and is
     * forwarded out of the link by the rule "from {@value #DELAY_DEVICE}, table {@value #DELAY_TABLE}". Those
     * packets carry this namespace's own source address, which the kernel accepts on that device only with
     * {@code accept_local} and no reverse-path filter (ip-sysctl.rst).
     */
    private void startDelayLine(int millis, int jitterMillis) {
        String own = ownAddress();
        delaySetting = millis + " ms +- " + jitterMillis + " ms";
        delayLine = netns.spawn("delay-line-" + dev, Map.of(), List.of(
                java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), DelayLine.class.getName(), DELAY_DEVICE,
                Integer.toString(millis), Integer.toString(jitterMillis)));
        BackgroundProcess line = delayLine;
        org.awaitility.Awaitility.await("the delay line's device " + DELAY_DEVICE).atMost(Exec.DEFAULT_TIMEOUT)
                .until(() -> line.stdout().contains(DelayLine.READY) || !line.isAlive());
        if (!line.stdout().contains(DelayLine.READY)) {
            throw new AssertionError("the delay line did not start: " + line.stderr());
        }
        String mtu = netns.exec("cat", "/sys/class/net/" + dev + "/mtu").requireSuccess().stdout().strip();
        for (String setting : List.of("ipv4/ip_forward=1", "ipv4/conf/all/rp_filter=0",
                "ipv4/conf/" + DELAY_DEVICE + "/rp_filter=0", "ipv4/conf/" + DELAY_DEVICE + "/accept_local=1",
                "ipv4/conf/" + DELAY_DEVICE + "/forwarding=1")) {
            String[] kv = setting.split("=");
            netns.exec("sh", "-c", "echo " + kv[1] + " > /proc/sys/net/" + kv[0]).requireSuccess();
        }
        netns.ip("link", "set", "dev", DELAY_DEVICE, "mtu", mtu, "up");
        netns.ip("route", "replace", peerAddress + "/32", "dev", dev, "table", DELAY_TABLE);
        netns.ip("rule", "add", "iif", DELAY_DEVICE, "lookup", DELAY_TABLE, "pref", DELAY_TABLE);
        netns.ip("route", "replace", peerAddress + "/32", "dev", DELAY_DEVICE, "src", own);
    }

    /** Takes the routes and the rule away (the first goes with the device too), then the delay line. */
    private void stopDelayLine() {
        netns.exec("ip", "route", "del", peerAddress + "/32", "dev", DELAY_DEVICE);
        netns.ip("rule", "del", "pref", DELAY_TABLE);
        netns.ip("route", "flush", "table", DELAY_TABLE);
        delayLine.terminate(BackgroundProcess.GRACE);
        java.util.regex.Matcher summary = java.util.regex.Pattern.compile(DelayLine.SUMMARY + " .*reordered (\\d+)")
                .matcher(delayLine.stdout());
        if (!summary.find()) {
            throw new AssertionError("the delay line said nothing of what it did: " + delayLine.stdout()
                    + delayLine.stderr());
        }
        reordered = Long.parseLong(summary.group(1));
        delayLine = null;
    }

    /** This end's IPv4 address on the link, the source of what it sends the peer. */
    private String ownAddress() {
        String out = netns.exec("ip", "-4", "-o", "addr", "show", "dev", dev).requireSuccess().stdout();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("inet (\\S+)/").matcher(out);
        if (!m.find()) {
            throw new AssertionError("no IPv4 address on " + dev + " in " + netns.name() + ": " + out);
        }
        return SafeAddresses.requireUnderlay(m.group(1));
    }

    private void netem(String... args) {
        List<String> command = new ArrayList<>(List.of("tc", "qdisc", "replace", "dev", dev, "root", "netem"));
        command.addAll(List.of(args));
        netns.exec(command.toArray(String[]::new)).requireSuccess();
    }

    private void iptables(String table, String chain, String jump, String target, int percent, String... targetArgs) {
        List<String> command = new ArrayList<>(List.of("iptables", "-t", table, "-A", chain, "-o", dev, "-m",
                "statistic", "--mode", "random", "--probability",
                String.format(Locale.ROOT, "%.4f", percent / 100.0), jump, target));
        command.addAll(List.of(targetArgs));
        netns.exec(command.toArray(String[]::new)).requireSuccess();
        netfilterUsed = true;
    }
}
