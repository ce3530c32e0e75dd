package dev.culvert.daemon;

import dev.culvert.config.Cidr;
import dev.culvert.config.CompressionSetting;
import dev.culvert.config.DeviceMode;
import dev.culvert.config.Endpoint;
import dev.culvert.config.KeyFiles;
import dev.culvert.config.ListenAddress;
import dev.culvert.config.TransportKind;
import dev.culvert.config.TunnelConfig;
import dev.culvert.crypto.Keys;
import dev.culvert.crypto.Secrets;
import dev.culvert.daemon.metrics.TunnelView;
import dev.culvert.daemon.tun.BridgeMtuCheck;
import dev.culvert.daemon.tun.LinkConfigurator;
import dev.culvert.protocol.AllowedIps;
import dev.culvert.protocol.Counters;
import dev.culvert.protocol.Peer;
import dev.culvert.protocol.PeerOptions;
import dev.culvert.protocol.ext.Compression;
import dev.culvert.protocol.ext.Lz4Compression;
import dev.culvert.protocol.ext.ZlibCompression;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.noise.RemoteStatic;
import dev.culvert.protocol.pipeline.TunnelInitializer;
import dev.culvert.daemon.tun.TunDevice;
import dev.culvert.protocol.transport.Transport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.InvalidKeyException;
import java.util.List;
import java.util.concurrent.Executor;
/**
 * One configured tunnel: its device channel, whose pipeline ({@link TunnelInitializer}) joins it to its
 * peer on a {@link Transport}, both on one event loop; its link settings and hooks around it. It is
 * handed its device and its transport; {@link Daemon} decides which.
 */
final class Tunnel implements AutoCloseable, TunnelView {
    private static final System.Logger LOG = System.getLogger("culvert.tunnel");
    /** {@link #watch()} ticks (200 ms each) between two looks at a tap's bridge: every 5 s. */
    static final int BRIDGE_CHECK_TICKS = 25;

    private final TunnelConfig config;
    private final Channel device;
    private final Transport transport;
    private final EndpointNames names;
    private final LinkConfigurator links;
    /** The addresses and routes this tunnel added to its device, removed again on close if the device stays. */
    private final LinkConfigurator.Added added;
    /** Written on the loop; read by metrics and the control socket through the {@link TunnelView} methods. */
    private volatile Peer peer;
    /** The last peer's counters, kept after close so a final scrape still reads them. */
    private volatile Counters counters = new Counters();
    private volatile Transport.Connection connection = Transport.Connection.NONE;
    private long lastHandshakeSeen;
    private Peer.State lastState;
    private volatile boolean hooksConfigured;
    private boolean downHooksRan;
    /** Set by {@link #close()}: the device is closing because we close it. */
    private volatile boolean closing;
    /** The device closed without us (deleted under us, or the kernel reported an error on it). */
    private volatile boolean deviceLost;
    private boolean deviceLossLogged;
    /** tap only (else null): warns once when the bridge the tap joined has ports with a larger MTU. */
    private final BridgeMtuCheck bridgeCheck;
    private int ticksToBridgeCheck = BRIDGE_CHECK_TICKS;

    private Tunnel(TunnelConfig config, Channel device, LinkConfigurator links, Transport transport,
                   Executor resolver, HostResolver names) {
        this.config = config;
        this.device = device;
        this.links = links;
        this.added = new LinkConfigurator.Added(config.device().name());
        this.transport = transport;
        this.names = new EndpointNames(config, names, resolver, transport.eventLoop());
        this.names.onChange(this::endpointChanged);
        this.bridgeCheck = config.device().mode() == DeviceMode.TAP
                ? new BridgeMtuCheck(BridgeMtuCheck.SYSFS, config.device().name()) : null;
    }

    /**
     * Registers the device on the transport's loop with the tunnel pipeline (which adds the peer), sets
     * the link up, runs the up hooks, then starts the peer: a client (with an endpoint) asks the
     * transport for a path to its server and handshakes as soon as it is up.
     *
     * @param device   the tun/tap channel, open and not yet registered; closed if anything fails
     * @param resolver where endpoint look-ups run (never the loop)
     * @param names    looks the endpoint's host name up (on {@code resolver})
     * @throws IOException with an operator-readable message; whatever was set up is undone
     */
    static Tunnel open(TunnelConfig config, Channel device, LinkConfigurator links, Transport transport,
                       LocalStatic local, Executor resolver, HostResolver names) throws IOException {
        Tunnel tunnel = new Tunnel(config, device, links, transport, resolver, names);
        try {
            RemoteStatic remote = remoteStatic(config, local);
            // A name that does not resolve now stops neither this tunnel nor the daemon (issue 13): the
            // tunnel starts in `connecting` and looks the name up again until it does.
            InetSocketAddress endpoint = tunnel.names.first();
            if (endpoint != null) {
                tunnel.warnIfUnreachable(endpoint);
            }
            PeerOptions options = new PeerOptions(endpoint, config.persistentKeepalive().toNanos(),
                    config.device().mtu(), null, config.persist(), tunnel.names::lookUpAgain);
            TunnelInitializer.Settings settings = new TunnelInitializer.Settings(config.name(), remote,
                    allowedIps(config.peer().allowedIps()), config.device().mode() == DeviceMode.TAP,
                    compression(config.compression()), options, TunDevice.offloadsOf(device),
                    config.mssClamp().ipv4(config.device().mtu()), config.mssClamp().ipv6(config.device().mtu()));
            // One pool for the whole path: device reads come from the allocator the transport writes with.
            device.config().setAllocator(transport.engine().alloc());
            device.pipeline().addLast(new TunnelInitializer(settings, transport, p -> {
                tunnel.peer = p;
                tunnel.counters = p.counters();
            }));
            ChannelFuture registered = transport.eventLoop().register(device).awaitUninterruptibly();
            if (!registered.isSuccess()) {
                throw new IOException("tunnel " + config.name() + ": cannot register device " + config.device().name()
                        + ": " + registered.cause(), registered.cause());
            }
            if (tunnel.peer == null) {
                throw new IOException("tunnel " + config.name() + ": the tunnel pipeline did not start (see the log)");
            }
            device.closeFuture().addListener(f -> {
                if (!tunnel.closing) {
                    tunnel.deviceLost = true;
                }
            });
            links.configure(config.device(), tunnel.added);
            if (!tunnel.added.kept().isEmpty()) {
                LOG.log(System.Logger.Level.INFO, "tunnel {0}: the adopted device {1} had {2} already: kept, and left "
                        + "on it when the tunnel stops", config.name(), config.device().name(), tunnel.added.kept());
            }
            for (String route : tunnel.added.takenOver()) {
                LOG.log(System.Logger.Level.WARNING, "tunnel {0}: device {1} took over the route `{2}` (ip route "
                        + "replace); it is not restored when the tunnel stops", config.name(), config.device().name(),
                        route);
            }
            tunnel.hooksConfigured = true;
            Hooks.run(config.name(), "up", config.up(), tunnel.hookValues(endpoint), config.hookTimeout(), true);
            tunnel.checkBridge(); // an up hook usually puts a tap into its bridge
            if (config.peer().endpoint().isPresent()) {
                tunnel.connection = transport.connect(config.name(), tunnel.names::lookUpForDialling,
                        tunnel::pathReady);
                if (endpoint == null) {
                    LOG.log(System.Logger.Level.WARNING, "tunnel {0}: cannot resolve peer endpoint {1} yet; "
                            + "connecting, and looking it up again every {2} s", config.name(),
                            config.peer().endpoint().get(), EndpointNames.UNRESOLVED_RETRY_SECONDS);
                    tunnel.names.retryUntilResolved();
                }
            }
        } catch (IOException | RuntimeException e) {
            tunnel.close();
            throw e;
        }
        return tunnel;
    }

    /** On the loop: the transport's path to the server is up (at once for UDP): handshake now. */
    private void pathReady() {
        Peer p = peer;
        if (p != null) {
            p.transportReady();
            transport.flush();
        }
    }

    private static Compression compression(CompressionSetting setting) {
        return switch (setting.algorithm()) {
            case OFF -> null;
            case LZ4 -> new Lz4Compression();
            case ZLIB -> new ZlibCompression(setting.level());
        };
    }

    /** What hooks see: the device, the tunnel, the peer's host (as configured, or "") and our address (or ""). */
    private Hooks.Values hookValues(InetSocketAddress endpoint) {
        String peerHost = endpoint != null ? endpoint.getAddress().getHostAddress()
                : config.peer().endpoint().map(e -> e.host()).orElse("");
        String localAddress = config.device().address().map(a -> a.address().getHostAddress()).orElse("");
        return new Hooks.Values(config.device().name(), config.name(), peerHost, localAddress);
    }

    /**
     * On the loop: the endpoint's name has a new address (the first, or a change). Logged once, and the peer
     * moves there. Over UDP it handshakes at once (a server that moved is usually one that restarted, with no
     * session); over TCP the dialler dials the new address (at once, unless the answer is its own, given just
     * before it dials) and the connection starts the handshake ({@link #pathReady}).
     */
    private void endpointChanged(InetSocketAddress was, InetSocketAddress fresh, boolean forDialling) {
        Peer p = peer;
        if (p == null || closing) {
            return;
        }
        Endpoint configured = config.peer().endpoint().get();
        InetSocketAddress roamedTo = p.endpoint();
        String before = was == null ? "" : " (was " + Addresses.format(was)
                + (roamedTo != null && !roamedTo.equals(was) && !roamedTo.equals(fresh)
                        ? "; the peer was last heard from " + Addresses.format(roamedTo) : "") + ")";
        LOG.log(System.Logger.Level.INFO, "tunnel {0}: {1} resolves to {2}{3}", config.name(), configured.host(),
                Addresses.format(fresh), before);
        warnIfUnreachable(fresh);
        if (config.transport() == TransportKind.TCP) {
            p.setEndpoint(fresh);
            if (!forDialling) {
                connection.redial(); // the connection may hang on the old address: the new one now
            }
        } else if (p.endpointResolved(fresh)) {
            transport.flush();
        }
    }

    /**
     * A WARN when the endpoint's name resolves to an address of the other family than the UDP socket is bound to
     * (a literal one is a config error): every send would fail with EAFNOSUPPORT, and the tunnel stay connecting.
     */
    private void warnIfUnreachable(InetSocketAddress resolved) {
        if (config.transport() == TransportKind.UDP && !ListenAddress.reaches(transport.localAddress(), resolved.getAddress())) {
            LOG.log(System.Logger.Level.WARNING, "tunnel {0}: {1} resolves to {2}, but the UDP socket is bound to {3}, "
                    + "which cannot send to that address family; listen on \":{4}\" (both families) instead",
                    config.name(), config.peer().endpoint().get().host(), Addresses.format(resolved),
                    Addresses.format(transport.localAddress()), String.valueOf(transport.localAddress().getPort()));
        }
    }

    private static RemoteStatic remoteStatic(TunnelConfig config, LocalStatic local) throws IOException {
        byte[] psk = null;
        try {
            if (config.peer().presharedKeyFile().isPresent()) {
                psk = KeyFiles.readKey(config.peer().presharedKeyFile().get());
            }
            return new RemoteStatic(local, Keys.parse(config.peer().publicKey()), psk);
        } catch (InvalidKeyException e) {
            throw new IOException("tunnel " + config.name() + ": peer public key is not a usable X25519 key");
        } finally {
            if (psk != null) {
                Secrets.wipe(psk);
            }
        }
    }

    static AllowedIps allowedIps(List<Cidr> cidrs) {
        return new AllowedIps(cidrs.stream().map(c -> new AllowedIps.Prefix(c.address(), c.prefixLength())).toList());
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public Counters counters() {
        return counters;
    }

    @Override
    public long lastHandshakeEpochMillis() {
        Peer p = peer;
        return p == null ? 0 : p.lastHandshakeEpochMillis();
    }

    @Override
    public boolean up() {
        Peer.State state = state();
        return state == Peer.State.UP || state == Peer.State.STALE;
    }

    @Override
    public Peer.State state() {
        Peer p = peer;
        if (p == null || deviceLost) {
            return Peer.State.DOWN;
        }
        // a client whose server's name has not resolved yet is connecting, not waiting to be called
        return p.endpoint() == null && config.peer().endpoint().isPresent() ? Peer.State.CONNECTING : p.state();
    }

    @Override
    public InetSocketAddress endpoint() {
        Peer p = peer;
        return p == null ? null : p.endpoint();
    }

    TunnelConfig config() {
        return config;
    }

    /**
     * True if the device went away without the tunnel closing it: the tunnel passes nothing until a reload
     * (which restarts it) or a restart of the daemon.
     */
    boolean deviceLost() {
        return deviceLost;
    }

    /** A tap in a bridge with a port of a larger MTU: a warning, once per (bridge, MTUs) situation. */
    private void checkBridge() { // at open (before the tunnel is listed), then only from watch(): one caller at a time
        if (bridgeCheck != null) {
            bridgeCheck.check(config.name()).ifPresent(warning -> LOG.log(System.Logger.Level.WARNING, warning));
        }
    }

    /** Logs state changes, and every {@value #BRIDGE_CHECK_TICKS} calls checks a tap's bridge; periodically, on the loop. */
    void watch() {
        if (bridgeCheck != null && !deviceLost && --ticksToBridgeCheck <= 0) {
            ticksToBridgeCheck = BRIDGE_CHECK_TICKS;
            checkBridge();
        }
        if (deviceLost) {
            if (!deviceLossLogged) {
                deviceLossLogged = true;
                LOG.log(System.Logger.Level.ERROR, "tunnel {0}: device {1} is gone (deleted, or the kernel reported "
                        + "an error on it); the tunnel passes nothing until a reload (SIGHUP, systemctl reload) "
                        + "re-creates it", config.name(), config.device().name());
            }
            return;
        }
        Peer peer = this.peer;
        if (peer == null) {
            return;
        }
        Peer.State state = peer.state();
        if (state != lastState) {
            if (lastState != null || state != Peer.State.DOWN) {
                boolean normal = state == Peer.State.UP
                        || (state == Peer.State.CONNECTING && (lastState == null || lastState == Peer.State.DOWN));
                LOG.log(normal ? System.Logger.Level.INFO : System.Logger.Level.WARNING,
                        "tunnel {0}: {1}{2}", config.name(), state.name().toLowerCase(java.util.Locale.ROOT),
                        state == Peer.State.UP ? " (peer at " + Addresses.format(peer.endpoint()) + ")"
                                : state == Peer.State.STALE ? " (sending, but nothing heard back; re-handshaking)"
                                : state == Peer.State.DOWN ? " (gave up; the next packet tries again)" : "");
            }
            lastState = state;
        }
        long last = peer.lastHandshakeEpochMillis();
        if (last != lastHandshakeSeen) {
            LOG.log(System.Logger.Level.DEBUG, "tunnel {0}: new session with {1}",
                    config.name(), Addresses.format(peer.endpoint()));
            lastHandshakeSeen = last;
        }
    }

    /**
     * Runs the down hooks, closes the transport path (a TCP client's dialler), takes what it added off an adopted
     * device ({@code device.existing}) and closes the device, whose pipeline removes the peer. Safe from any
     * thread; idempotent.
     */
    @Override
    public void close() {
        closing = true;
        names.close();
        runDownHooks();
        connection.close();
        removeWhatWasAdded();
        if (device.isRegistered()) {
            device.close().awaitUninterruptibly();
        } else {
            device.unsafe().closeForcibly(); // never reached its loop (the tunnel failed before): just the fd
        }
        // The pipeline's teardown removes the peer too, but only in a later loop task: remove it now, so a
        // tunnel restarted by a reload can add the same peer key again at once.
        Peer p = peer;
        if (p != null) {
            if (transport.eventLoop().inEventLoop()) {
                transport.engine().removePeer(p);
            } else if (!transport.eventLoop().isShuttingDown()) {
                transport.eventLoop().submit(() -> transport.engine().removePeer(p)).awaitUninterruptibly();
            }
        }
        peer = null;
    }

    /**
     * An adopted device outlives us: the addresses and routes this tunnel added come off it again (once), so the
     * next start finds it as it was. A device we created needs nothing: the kernel deletes it, addresses and
     * routes with it, when its fd closes. Neither does a device that is gone.
     */
    private synchronized void removeWhatWasAdded() {
        if (!config.device().existing() || deviceLost || added.isEmpty()) {
            return;
        }
        String what = added.toString();
        List<String> failures = links.remove(added);
        failures.forEach(f -> LOG.log(System.Logger.Level.WARNING, "tunnel {0}: {1}", config.name(), f));
        LOG.log(System.Logger.Level.INFO, "tunnel {0}: took off the adopted device {1}{2}", config.name(),
                what, failures.isEmpty() ? "" : " (" + failures.size() + " step(s) failed, see above)");
    }

    /** The down hooks, once, on the caller's thread, if the device got as far as being configured. */
    private synchronized void runDownHooks() {
        if (!hooksConfigured || downHooksRan || config.down().isEmpty()) {
            return;
        }
        downHooksRan = true;
        Peer p = peer;
        try {
            Hooks.run(config.name(), "down", config.down(), hookValues(p != null ? p.endpoint() : null),
                    config.hookTimeout(), false);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, e.getMessage());
        }
    }
}
