package dev.culvert.daemon.tun;

import dev.culvert.config.Cidr;
import dev.culvert.config.DeviceConfig;
import dev.culvert.config.DeviceMode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Configures a device's link with {@code ip(8)}: MTU, addresses, link up, routes. Each step runs
 * {@code ip} from an argument vector (never a shell) with a timeout; a failure becomes a
 * {@link TunException} with one line such as
 * {@code cannot add address 198.18.0.1/30 to cv-x: RTNETLINK answers: Operation not permitted}
 *
 * <p>There is no removal: closing the device's fd makes the kernel delete the interface, and its
 * addresses and routes with it.
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
     * Configures the device of a tunnel's {@code device} block: MTU, its address if it has one,
     * link up, routes.
     */
    public void configure(DeviceConfig device) throws TunException {
        if (device.mode() == DeviceMode.TUN) {
            noLinkLocal(device.name());
        }
        if (device.mac().isPresent()) {
            setMac(device.name(), device.mac().get());
        }
        configure(device.name(), device.mtu(), device.address().map(List::of).orElse(List.of()), device.routes());
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
        setMtu(device, mtu);
        for (Cidr address : addresses) {
            addAddress(device, address);
        }
        up(device);
        for (Cidr route : routes) {
            addRoute(device, route);
        }
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

    /** {@code ip route add CIDR dev DEVICE} (add: a route that exists elsewhere is an error, not taken over). */
    public void addRoute(String device, Cidr cidr) throws TunException {
        InterfaceNames.check(device);
        run("cannot add route " + cidr + " via " + device, "route", "add", cidr.toString(), "dev", device);
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
