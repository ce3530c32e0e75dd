package dev.culvert.daemon;

import dev.culvert.config.Cidr;
import dev.culvert.config.CompressionSetting;
import dev.culvert.config.DeviceMode;
import dev.culvert.config.Endpoint;
import dev.culvert.config.KeyFiles;
import dev.culvert.config.ListenAddress;
import dev.culvert.config.PeerConfig;
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

    /** Replaced by {@link #applyInPlace} (a reload); read anywhere. */
    private volatile TunnelConfig config;
    private final Channel device;
    private final Transport transport;
    /** Replaced by {@link #applyInPlace} when the endpoint changes. */
    private volatile EndpointNames names;
    private final Executor resolver;
    private final HostResolver hostResolver;
    /** The pipeline's settings as last applied: the base {@link #applyInPlace} builds new ones from. */
    private volatile TunnelInitializer.Settings settings;
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
    /** Why the reloaded settings could not start (this instance runs the previous ones), or null. */
    private volatile String reloadFailure;
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
        this.resolver = resolver;
        this.hostResolver = names;
        this.names = endpointNames(config);
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
            // the names object in use at the time: a reload may replace it (a new endpoint)
            PeerOptions options = new PeerOptions(endpoint, config.persistentKeepalive().toNanos(),
                    config.device().mtu(), null, config.persist(), () -> tunnel.names.lookUpAgain());
            TunnelInitializer.Settings settings = settings(config, remote, options, TunDevice.offloadsOf(device));
            tunnel.settings = settings;
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
                tunnel.connection = transport.connect(config.name(), () -> tunnel.names.lookUpForDialling(),
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

    private EndpointNames endpointNames(TunnelConfig tunnelConfig) {
        EndpointNames fresh = new EndpointNames(tunnelConfig, hostResolver, resolver, transport.eventLoop());
        fresh.onChange(this::endpointChanged);
        return fresh;
    }

    /** The tunnel pipeline's settings for {@code config}. */
    private static TunnelInitializer.Settings settings(TunnelConfig config, RemoteStatic remote, PeerOptions options,
                                                       dev.culvert.protocol.offload.DeviceOffloads offloads) {
        return new TunnelInitializer.Settings(config.name(), remote,
                allowedIps(config.peer().allowedIps()), config.device().mode() == DeviceMode.TAP,
                compression(config.compression()), options, offloads,
                config.mssClamp().ipv4(config.device().mtu()), config.mssClamp().ipv6(config.device().mtu()));
    }

    /**
     * True if {@code next} differs from what this tunnel runs with only in what {@link #applyInPlace} changes on
     * the live tunnel: the device (name, mode, MTU, address, routes, offloads, adoption), the transport, the peer's
     * public key and preshared key file, and whether there is an endpoint at all are its identity, and a change
     * there needs a new tunnel. A tunnel whose device is gone cannot be changed in place either.
     */
    boolean canApplyInPlace(TunnelConfig next) {
        TunnelConfig now = config;
        // now's identity with next's live settings: equal to next only if next changed nothing else (and a new
        // field of either record breaks this line until someone decides which side it is on)
        TunnelConfig live = new TunnelConfig(now.name(), now.device(),
                new PeerConfig(now.peer().publicKey(), now.peer().presharedKeyFile(), next.peer().endpoint(),
                        next.peer().allowedIps()),
                now.transport(), next.persistentKeepalive(), next.compression(), next.persist(), next.up(), next.down(),
                next.hookTimeout(), next.mssClamp());
        return !deviceLost && peer != null && live.equals(next)
                && now.peer().endpoint().isPresent() == next.peer().endpoint().isPresent();
    }

    /**
     * The settings that differ between {@code now} and {@code next} and that a live tunnel cannot change (see
     * {@link #canApplyInPlace}), one operator-readable item each ({@code device.mtu 1420 -> 1500}), in the order
     * reference.conf lists them; empty if only live settings differ. Secrets never appear: a key file is named
     * by its path.
     */
    static List<String> restartReasons(TunnelConfig now, TunnelConfig next) {
        List<String> reasons = new java.util.ArrayList<>();
        dev.culvert.config.DeviceConfig a = now.device();
        dev.culvert.config.DeviceConfig b = next.device();
        differs(reasons, "device.name", a.name(), b.name());
        differs(reasons, "device.mode", a.mode().name().toLowerCase(java.util.Locale.ROOT),
                b.mode().name().toLowerCase(java.util.Locale.ROOT));
        differs(reasons, "device.mtu", a.mtu(), b.mtu());
        differs(reasons, "device.address", a.address().map(Object::toString).orElse("none"),
                b.address().map(Object::toString).orElse("none"));
        differs(reasons, "device.routes", a.routes(), b.routes());
        differs(reasons, "device.mac", a.mac().orElse("none"), b.mac().orElse("none"));
        differs(reasons, "device.offload", a.offload(), b.offload());
        differs(reasons, "device.existing", a.existing(), b.existing());
        differs(reasons, "peer.public-key", now.peer().publicKey(), next.peer().publicKey());
        differs(reasons, "peer.preshared-key-file", now.peer().presharedKeyFile().map(Object::toString).orElse("none"),
                next.peer().presharedKeyFile().map(Object::toString).orElse("none"));
        if (now.peer().endpoint().isPresent() != next.peer().endpoint().isPresent()) {
            reasons.add("peer.endpoint " + now.peer().endpoint().map(Object::toString).orElse("none") + " -> "
                    + next.peer().endpoint().map(Object::toString).orElse("none"));
        }
        differs(reasons, "transport", now.transport().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'),
                next.transport().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        return reasons;
    }

    static void differs(List<String> reasons, String key, Object was, Object is) {
        if (!was.equals(is)) {
            reasons.add(key + " " + was + " -> " + is);
        }
    }

    /**
     * Applies a reloaded configuration to the live tunnel, keeping its device (same ifindex), its peer (same
     * session, same counters) and its path: the persistent keepalive (the timer starts over with the new interval),
     * persist, the allowed IPs, compression and MSS clamping (their pipeline handlers swapped on the loop), the
     * endpoint (the peer moves there, as a roam would, and a handshake initiation goes to it; over TCP the dialler
     * redials) and the hooks (the new ones run at the next up or down; the running up hooks are not re-run).
     * Call only when {@link #canApplyInPlace} says so; one caller at a time (the reload); not on the loop.
     *
     * @return what changed, one operator-readable item per setting ("keepalive 25s -> 10s"); empty if nothing did
     * @throws IllegalArgumentException if {@code next} is not {@link #canApplyInPlace applicable in place}
     */
    List<String> applyInPlace(TunnelConfig next) {
        if (!canApplyInPlace(next)) {
            throw new IllegalArgumentException("tunnel " + next.name() + ": the change needs a new tunnel");
        }
        TunnelConfig now = config;
        List<String> changes = new java.util.ArrayList<>();
        java.util.EnumSet<TunnelInitializer.Part> parts = java.util.EnumSet.noneOf(TunnelInitializer.Part.class);
        boolean keepalive = !now.persistentKeepalive().equals(next.persistentKeepalive());
        if (keepalive) {
            changes.add("keepalive " + seconds(now.persistentKeepalive()) + " -> " + seconds(next.persistentKeepalive()));
        }
        boolean persist = now.persist() != next.persist();
        if (persist) {
            changes.add("persist " + now.persist() + " -> " + next.persist());
        }
        if (!now.peer().allowedIps().equals(next.peer().allowedIps())) {
            parts.add(TunnelInitializer.Part.ROUTING);
            changes.add("allowed-ips " + now.peer().allowedIps() + " -> " + next.peer().allowedIps());
        }
        if (!now.compression().equals(next.compression())) {
            parts.add(TunnelInitializer.Part.EXTENSION);
            changes.add("compression " + now.compression() + " -> " + next.compression());
        }
        if (!now.mssClamp().equals(next.mssClamp())) {
            parts.add(TunnelInitializer.Part.MSS_CLAMP);
            changes.add("mss-clamp " + now.mssClamp() + " -> " + next.mssClamp());
        }
        if (!now.up().equals(next.up())) {
            changes.add("up hooks (" + now.up().size() + " -> " + next.up().size() + " commands; run at the next up)");
        }
        if (!now.down().equals(next.down())) {
            changes.add("down hooks (" + now.down().size() + " -> " + next.down().size()
                    + " commands; run at the next down)");
        }
        if (!now.hookTimeout().equals(next.hookTimeout())) {
            changes.add("hook-timeout " + seconds(now.hookTimeout()) + " -> " + seconds(next.hookTimeout()));
        }
        boolean endpoint = !now.peer().endpoint().equals(next.peer().endpoint());
        EndpointNames freshNames = null;
        InetSocketAddress resolved = null;
        if (endpoint) {
            changes.add("endpoint " + now.peer().endpoint().map(Object::toString).orElse("none") + " -> "
                    + next.peer().endpoint().map(Object::toString).orElse("none"));
            freshNames = endpointNames(next);
            resolved = freshNames.first(); // may block on DNS: here, on the reload's thread, never on the loop
        }
        Peer p = peer;
        TunnelInitializer.Settings base = settings;
        TunnelInitializer.Settings nextSettings = settings(next, base.remote(), base.peer(), base.offloads());
        EndpointNames oldNames = names;
        EndpointNames newNames = freshNames;
        InetSocketAddress to = resolved;
        Runnable apply = () -> {
            if (keepalive) {
                p.setPersistentKeepalive(next.persistentKeepalive().toNanos());
            }
            if (persist) {
                p.setPersist(next.persist());
            }
            if (!parts.isEmpty()) {
                TunnelInitializer.reconfigure(device, nextSettings, p, parts);
            }
            settings = nextSettings;
            config = next; // before the new names: hooks, logs and the endpoint listener read it from now on
            if (newNames != null) {
                oldNames.close();
                names = newNames;
                moveTo(p, to, next);
            }
        };
        if (transport.eventLoop().inEventLoop()) {
            apply.run();
        } else {
            transport.eventLoop().submit(apply).syncUninterruptibly();
        }
        return changes;
    }

    /** On the loop: a reload changed the endpoint; the peer moves to {@code to} (null: not resolved yet) and handshakes. */
    private void moveTo(Peer p, InetSocketAddress to, TunnelConfig next) {
        if (to == null) {
            LOG.log(System.Logger.Level.WARNING, "tunnel {0}: cannot resolve peer endpoint {1} yet; looking it up "
                    + "again every {2} s", next.name(), next.peer().endpoint().get(), EndpointNames.UNRESOLVED_RETRY_SECONDS);
            names.retryUntilResolved();
            return;
        }
        if (next.transport() == TransportKind.TCP) {
            p.setEndpoint(to);
            connection.redial(); // the dialler asks the new names object, which gives the new address
            return;
        }
        if (!ListenAddress.reaches(transport.localAddress(), to.getAddress())) {
            LOG.log(System.Logger.Level.WARNING, "tunnel {0}: the new endpoint {1} is {2}, but the UDP socket is bound "
                    + "to {3}, which cannot send to that address family; listen on \":{4}\" (both families) and "
                    + "restart culvert", next.name(), next.peer().endpoint().get(), Addresses.format(to),
                    Addresses.format(transport.localAddress()), String.valueOf(transport.localAddress().getPort()));
        }
        if (p.endpointResolved(to)) {
            transport.flush();
        }
    }

    /** "25s", "0s", "1.5s": how a reload's log line shows a duration. */
    static String seconds(java.time.Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : (d.toMillis() / 1000.0) + "s";
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
        // RFC 5952 compressed IPv6 (2001:db8::1), as the log and `culvert show` print addresses
        String peerHost = endpoint != null ? io.netty.util.NetUtil.toAddressString(endpoint.getAddress())
                : config.peer().endpoint().map(e -> e.host()).orElse("");
        String localAddress = config.device().address().map(a -> io.netty.util.NetUtil.toAddressString(a.address()))
                .orElse("");
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

    @Override
    public String failure() {
        return reloadFailure;
    }

    /**
     * Marks this tunnel as running on its previous settings because the reloaded ones could not start
     * ({@code reason}), for show, metrics and the status line; null when the configured settings run.
     */
    void reloadFailed(String reason) {
        reloadFailure = reason;
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
                // Stale is WireGuard's own recovery (a re-handshake after 15 s unanswered), which a peer's restart
                // goes through every time (issue 11: normal events are not warnings); down (gave up) is a warning.
                boolean normal = state == Peer.State.UP || state == Peer.State.STALE
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
