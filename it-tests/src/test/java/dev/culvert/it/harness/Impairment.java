package dev.culvert.it.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A bad network on one end of a test's own underlay link, inside the test's namespace: loss, delay with jitter
 * (which reorders), duplication. Applied on egress, so impairing both ends of a veth impairs both directions.
 *
 * <p>With the kernel's {@code sch_netem} ({@code tc qdisc ... netem}, CONFIG_NET_SCH_NETEM) everything is available.
 * A kernel without it (some VM kernels) still gets loss and duplication from netfilter inside the namespace
 * ({@code iptables -m statistic} DROP, and TEE to the peer for a second copy, CONFIG_NETFILTER_XT_MATCH_STATISTIC
 * and CONFIG_NETFILTER_XT_TARGET_TEE); delay has no such substitute, and {@link #delay} fails (CI) or skips the
 * test there. Never touches the host: the commands run in the given namespace on the given link only.
 */
public final class Impairment {

    private static volatile Boolean netem;

    private final Netns netns;
    private final String dev;
    private final String peerAddress;
    private boolean netfilterUsed;

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
     * packets sent closer together than the jitter; needs {@code sch_netem}.
     */
    public Impairment delay(int millis, int jitterMillis) {
        clear();
        if (!netemAvailable()) {
            RootCheck.skipOrFail("the kernel has no sch_netem (CONFIG_NET_SCH_NETEM): no delay or reordering to test with");
        }
        netem("delay", millis + "ms", jitterMillis + "ms");
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
        if (netfilterUsed) {
            netns.exec("iptables", "-t", "filter", "-F", "OUTPUT").requireSuccess();
            netns.exec("iptables", "-t", "mangle", "-F", "POSTROUTING").requireSuccess();
            netfilterUsed = false;
        }
    }

    /** What is set on the link now, for messages: the qdisc, or the namespace's netfilter rules. */
    public String describe() {
        if (netemAvailable()) {
            return netns.exec("tc", "qdisc", "show", "dev", dev).stdout().strip();
        }
        List<String> rules = new ArrayList<>();
        for (String table : List.of("filter", "mangle")) {
            netns.exec("iptables", "-t", table, "-S").stdout().lines().filter(l -> l.startsWith("-A ")).forEach(rules::add);
        }
        return "iptables " + String.join("; ", rules);
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
