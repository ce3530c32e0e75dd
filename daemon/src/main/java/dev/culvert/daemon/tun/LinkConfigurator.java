package dev.culvert.daemon.tun;

import dev.culvert.config.Cidr;
import dev.culvert.config.DeviceConfig;
import dev.culvert.config.DeviceMode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Configures a device's link with {@code ip(8)}: MTU, addresses, link up, routes. Each step runs
 * {@code ip} from an argument vector (never a shell) with a timeout; a failure becomes a
 * {@link TunException} with one line such as
 * {@code cannot add address 198.18.0.1/30 to cv-x: RTNETLINK answers: Operation not permitted}
 *
 * <p>What {@link #configure(DeviceConfig, Added)} adds (addresses, routes) it records in an {@link Added}, step by
 * step, so that {@link #remove(Added)} takes exactly that away again, also after a configuration that failed
 * half-way. A device Culvert created needs no removal (closing its fd makes the kernel delete the interface, and
 * its addresses and routes with it); an adopted persistent device ({@code device.existing}) does.
 */
public final class LinkConfigurator {

    /** How long one {@code ip} command may take. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /** The {@code ip} binary, looked up on PATH. */
    public static final String DEFAULT_IP_COMMAND = "ip";

    private final CommandRunner runner;
    private final String ip;
    private final Duration timeout;

    /** A configurator that runs the real {@code ip} from PATH. */
    public LinkConfigurator() {
        this(new ProcessCommandRunner(), DEFAULT_IP_COMMAND, DEFAULT_TIMEOUT);
    }

    /** A configurator that runs {@code ip} through {@code runner} (tests inject a fake). */
    public LinkConfigurator(CommandRunner runner) {
        this(runner, DEFAULT_IP_COMMAND, DEFAULT_TIMEOUT);
    }

    /** A configurator with every part chosen: runner, path of {@code ip}, timeout per command. */
    public LinkConfigurator(CommandRunner runner, String ipCommand, Duration timeout) {
        this.runner = Objects.requireNonNull(runner, "runner");
        this.ip = Objects.requireNonNull(ipCommand, "ipCommand");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }

    /**
     * The addresses and routes a configuration added to one device, in the order they were added: what
     * {@link #remove(Added)} takes away. Filled in as each step succeeds; not thread-safe (one tunnel's
     * start or stop at a time).
     */
    public static final class Added {
        private final String device;
        private final List<Cidr> addresses = new ArrayList<>();
        private final List<Cidr> routes = new ArrayList<>();
        private final List<String> takenOver = new ArrayList<>();
        private final List<Cidr> kept = new ArrayList<>();

        /** Nothing added yet to {@code device}. */
        public Added(String device) {
            this.device = Objects.requireNonNull(device, "device");
        }

        /** The interface name. */
        public String device() {
            return device;
        }

        /** The addresses added, in order. */
        public List<Cidr> addresses() {
            return List.copyOf(addresses);
        }

        /** The routes added, in order. */
        public List<Cidr> routes() {
            return List.copyOf(routes);
        }

        /**
         * The routes through no device (an {@code unreachable}, {@code blackhole} or {@code prohibit} route) that a
         * route of ours replaced, as {@code ip route show} printed them: they are not restored when ours is removed.
         * A route through another device is never replaced: {@code configure} refuses it.
         */
        public List<String> takenOver() {
            return List.copyOf(takenOver);
        }

        /**
         * The configured addresses and routes that an adopted device had already before the start (the operator's,
         * or a crashed run's): set again, never recorded as added, so {@link #remove(Added)} leaves them.
         */
        public List<Cidr> kept() {
            return List.copyOf(kept);
        }

        /** True if nothing was added (or all of it was removed). */
        public boolean isEmpty() {
            return addresses.isEmpty() && routes.isEmpty();
        }

        @Override
        public String toString() {
            return device + ": addresses " + addresses + ", routes " + routes;
        }
    }

    /**
     * Configures the device of a tunnel's {@code device} block: MTU, its address if it has one,
     * link up, routes.
     */
    public void configure(DeviceConfig device) throws TunException {
        configure(device, new Added(device.name()));
    }

    /**
     * Like {@link #configure(DeviceConfig)}, recording in {@code added} each address and route as it is added,
     * so that {@link #remove(Added)} can undo them, also when a later step fails.
     */
    public void configure(DeviceConfig device, Added added) throws TunException {
        if (device.mode() == DeviceMode.TUN) {
            noLinkLocal(device.name());
        }
        if (device.mac().isPresent()) {
            setMac(device.name(), device.mac().get());
        }
        if (device.existing()) {
            added.kept.addAll(presentOn(device.name()));
        }
        configure(device.name(), device.mtu(), device.address().map(List::of).orElse(List.of()), device.routes(),
                added);
    }

    /**
     * The addresses and the routes (main table) that {@code device} has now, from {@code ip -o address show dev
     * DEVICE} and {@code ip route show dev DEVICE table main} (both families); what does not parse is left out,
     * and a failing query lists nothing.
     */
    List<Cidr> presentOn(String device) throws TunException {
        InterfaceNames.check(device);
        List<Cidr> present = new ArrayList<>();
        for (String family : List.of("-4", "-6")) {
            for (String line : query(family, "-o", "address", "show", "dev", device)) {
                List<String> words = List.of(line.strip().split("\\s+"));
                addParsed(present, after(words, family.equals("-4") ? "inet" : "inet6"));
            }
            for (String line : query(family, "route", "show", "dev", device, "table", "main")) {
                String first = line.strip().split("\\s+")[0];
                addParsed(present, first.equals("default") ? (family.equals("-4") ? "0.0.0.0/0" : "::/0")
                        : first.contains("/") ? first : first + (family.equals("-4") ? "/32" : "/128"));
            }
        }
        return present;
    }

    private static void addParsed(List<Cidr> into, String text) {
        if (text == null) {
            return;
        }
        try {
            into.add(Cidr.parse(text));
        } catch (IllegalArgumentException e) {
            // not an address or prefix (a route type word, say): nothing of ours to keep
        }
    }

    /** The stdout lines of {@code ip ARGS}; none if it cannot run or fails. */
    private List<String> query(String... args) {
        try {
            CommandRunner.CommandResult result = runner.run(argv(args), timeout);
            return result.succeeded() ? List.of(result.stdout().split("\n")) : List.of();
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    /** {@code ip link set dev DEVICE address MAC} (tap devices; before the link goes up). */
    public void setMac(String device, String mac) throws TunException {
        InterfaceNames.check(device);
        run("cannot set Ethernet address " + mac + " on " + device, "link", "set", "dev", device, "address", mac);
    }

    /**
     * Sets the MTU, adds the addresses, brings the link up and adds the routes, in that order
     * (routes need the link up). Stops at the first failure.
     *
     * @param addresses interface addresses with their prefix, such as {@code 198.18.0.1/30}
     * @param routes    prefixes routed through the device, such as {@code 198.51.100.0/24}
     */
    public void configure(String device, int mtu, List<Cidr> addresses, List<Cidr> routes) throws TunException {
        configure(device, mtu, addresses, routes, new Added(device));
    }

    /** Like {@link #configure(String, int, List, List)}, recording each address and route added in {@code added}. */
    public void configure(String device, int mtu, List<Cidr> addresses, List<Cidr> routes, Added added)
            throws TunException {
        if (!added.device().equals(device)) {
            throw new IllegalArgumentException("recording for " + added.device() + ", configuring " + device);
        }
        setMtu(device, mtu);
        for (Cidr address : addresses) {
            addAddress(device, address);
            if (!added.kept.contains(address)) {
                added.addresses.add(address);
            }
        }
        up(device);
        for (Cidr route : routes) {
            List<String> others = routesElsewhere(device, route);
            for (String other : others) {
                String via = after(List.of(other.split("\\s+")), "dev");
                if (via != null) {
                    throw new TunException("cannot add route " + route + " via " + device + ": the main table routes it via "
                            + via + " already (`" + other + "`); Culvert does not take over another device's route: "
                            + "remove that route or choose a more specific prefix");
                }
            }
            addRoute(device, route);
            if (!added.kept.contains(route)) {
                added.routes.add(route);
            }
            added.takenOver.addAll(others);
        }
    }

    /**
     * The routes to exactly {@code cidr} in the main table, with the metric {@code ip route replace} without a
     * metric matches (IPv4 0, IPv6 1024), that go through something other than {@code device}: what adding ours
     * will replace. A leftover of our own (on {@code device}) is not listed. Runs {@code ip -4|-6 -o route show
     * exact CIDR table main}; if that fails, nothing is listed (the replace itself will say what is wrong).
     */
    List<String> routesElsewhere(String device, Cidr cidr) {
        CommandRunner.CommandResult result;
        try {
            result = runner.run(argv(cidr.isIpv4() ? "-4" : "-6", "-o", "route", "show", "exact", cidr.toString(),
                    "table", "main"), timeout);
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
        if (!result.succeeded()) {
            return List.of();
        }
        long ourMetric = cidr.isIpv4() ? 0 : 1024;
        List<String> others = new ArrayList<>();
        for (String line : result.stdout().split("\n")) {
            List<String> words = List.of(line.strip().split("\\s+"));
            if (line.isBlank() || device.equals(after(words, "dev"))) {
                continue;
            }
            String metric = after(words, "metric");
            try {
                if ((metric == null ? ourMetric : Long.parseLong(metric)) == ourMetric) {
                    others.add(line.strip());
                }
            } catch (NumberFormatException e) {
                others.add(line.strip());
            }
        }
        return others;
    }

    /** The word after {@code key}, or null. */
    private static String after(List<String> words, String key) {
        int i = words.indexOf(key);
        return i >= 0 && i + 1 < words.size() ? words.get(i + 1) : null;
    }

    /**
     * Removes what {@code added} records, routes first (newest first), then addresses: {@code ip route del
     * CIDR dev DEVICE}, {@code ip address del CIDR dev DEVICE}. Naming the device leaves a route to the same
     * prefix through another device alone. Every step is tried; what is removed leaves {@code added}.
     *
     * @return one line per step that failed, such as {@code cannot remove route 198.51.100.0/24 via cv-x:
     *         RTNETLINK answers: No such process}; empty if all went
     */
    public List<String> remove(Added added) {
        String device = added.device();
        List<String> failures = new ArrayList<>();
        for (int i = added.routes.size() - 1; i >= 0; i--) {
            Cidr route = added.routes.get(i);
            try {
                run("cannot remove route " + route + " via " + device, "route", "del", route.toString(), "dev", device);
                added.routes.remove(i);
            } catch (TunException e) {
                failures.add(e.getMessage());
            }
        }
        for (int i = added.addresses.size() - 1; i >= 0; i--) {
            Cidr address = added.addresses.get(i);
            try {
                run("cannot remove address " + address + " from " + device, "address", "del", address.toString(),
                        "dev", device);
                added.addresses.remove(i);
            } catch (TunException e) {
                failures.add(e.getMessage());
            }
        }
        return failures;
    }

    /** {@code ip link set dev DEVICE mtu MTU} */
    public void setMtu(String device, int mtu) throws TunException {
        InterfaceNames.check(device);
        if (mtu < TunChannel.MIN_MTU || mtu > TunChannel.MAX_MTU) {
            throw new TunException("cannot set MTU " + mtu + " on " + device + ": must be "
                    + TunChannel.MIN_MTU + ".." + TunChannel.MAX_MTU);
        }
        run("cannot set MTU " + mtu + " on " + device, "link", "set", "dev", device, "mtu", Integer.toString(mtu));
    }

    /**
     * {@code ip link set dev DEVICE addrgenmode none}: no IPv6 link-local address, so the kernel does not send
     * router solicitations and MLD reports into the tunnel (WireGuard's devices behave the same). An
     * IPv6 address in the config is still added. Only for tun (layer 3) devices: on a tap device's
     * Ethernet segment IPv6 neighbour discovery needs link-local addresses.
     */
    public void noLinkLocal(String device) throws TunException {
        InterfaceNames.check(device);
        run("cannot turn off IPv6 link-local addresses on " + device, "link", "set", "dev", device,
                "addrgenmode", "none");
    }

    /** {@code ip link set dev DEVICE up} */
    public void up(String device) throws TunException {
        InterfaceNames.check(device);
        run("cannot bring up " + device, "link", "set", "dev", device, "up");
    }

    /** {@code ip address replace CIDR dev DEVICE} (replace: re-adding an address it has is fine). */
    public void addAddress(String device, Cidr cidr) throws TunException {
        InterfaceNames.check(device);
        run("cannot add address " + cidr + " to " + device, "address", "replace", cidr.toString(), "dev", device);
    }

    /**
     * {@code ip route replace CIDR dev DEVICE} (replace: a route to the same prefix with the same metric in the
     * main table, left behind by a crash or through another device, is taken over instead of failing with
     * {@code RTNETLINK answers: File exists}).
     */
    public void addRoute(String device, Cidr cidr) throws TunException {
        InterfaceNames.check(device);
        run("cannot add route " + cidr + " via " + device, "route", "replace", cidr.toString(), "dev", device);
    }

    private void run(String what, String... args) throws TunException {
        List<String> argv = argv(args);
        CommandRunner.CommandResult result;
        try {
            result = runner.run(argv, timeout);
        } catch (IOException e) {
            throw new TunException(what + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TunException(what + ": interrupted", e);
        }
        if (!result.succeeded()) {
            throw new TunException(what + ": " + result.firstErrorLine());
        }
    }

    private List<String> argv(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = ip;
        System.arraycopy(args, 0, all, 1, args.length);
        return List.of(all);
    }
}
