package dev.culvert.daemon;

import dev.culvert.config.CulvertConfig;
import dev.culvert.config.KeyFiles;
import dev.culvert.config.TransportKind;
import dev.culvert.config.TunnelConfig;
import dev.culvert.crypto.ChaCha20Poly1305Factory;
import dev.culvert.crypto.Keys;
import dev.culvert.crypto.Secrets;
import dev.culvert.daemon.control.ControlServer;
import dev.culvert.daemon.control.ReloadOutcome;
import dev.culvert.daemon.control.ShowRequests;
import dev.culvert.daemon.log.DropLog;
import dev.culvert.daemon.metrics.DaemonMetrics;
import dev.culvert.daemon.metrics.MetricsServer;
import dev.culvert.daemon.systemd.SdNotify;
import dev.culvert.daemon.tun.TunDevice;
import dev.culvert.protocol.SelfTest;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.transport.Transport;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A running Culvert, and the one place where devices and transports meet: one event loop, a UDP
 * and/or a TCP {@link Transport} (each with its WireGuard engine), and the configured {@link Tunnel}s,
 * each a device channel whose pipeline leads to its transport. {@link #start} brings it all up or
 * nothing; {@link #reload} applies a new configuration as a diff ({@link TunnelSet}); {@link #close}
 * takes it all down, removing the devices. What it tells about itself is in {@link DaemonStatus}.
 */
public final class Daemon implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("culvert");
    /** Packets each way in the start-up self-test: enough for the JIT to compile the data path. */
    private static final int SELF_TEST_PACKETS = 3000;

    private final Platform platform;
    private final MultiThreadIoEventLoopGroup group;
    private final IoEventLoop loop;
    private final ByteBufAllocator alloc;
    private final LocalStatic local;
    private final ExecutorService resolver;
    /** Where failed tunnels are tried again (off the loop: opening a tunnel blocks on hooks and the loop). */
    private final ScheduledExecutorService retries;
    /** What a reload request on the control socket reads; set by the command that owns the file. */
    private volatile Supplier<Loaded> reloadSource;
    private final TunnelSet tunnels;
    private final DaemonMetrics metrics;
    private final SdNotify notify;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Object reloadLock = new Object();
    private volatile CulvertConfig config;
    /** {@code --log-level}, which wins over the file's {@code culvert.log-level}; null if not given. */
    private volatile String logLevelFromCommandLine;
    private volatile Transport udp;
    private volatile Transport tcp;
    private ScheduledFuture<?> watcher;
    private MetricsServer metricsServer;
    private ControlServer control;
    /** transport = vtun-legacy tunnels: kept apart from {@link #tunnels} (no WireGuard engine); see openLegacy. */
    private final List<LegacyTunnel> legacyTunnels = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** vtun-legacy tunnels a reload could not start (state failed), as {@link TunnelSet#failed()}. */
    private final List<FailedTunnel> legacyFailed = new java.util.concurrent.CopyOnWriteArrayList<>();
    private LegacyListener legacyListener;
    /** The vtun-legacy listener's drops that concern no tunnel (an unknown session): interface drops. */
    private final dev.culvert.protocol.Counters legacyCounters = new dev.culvert.protocol.Counters();

    private Daemon(CulvertConfig config, Platform platform, LocalStatic local, ByteBufAllocator alloc) {
        this.config = config;
        this.platform = platform;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("culvert-loop", true),
                platform.ioHandlerFactory());
        this.loop = (IoEventLoop) group.next();
        this.alloc = alloc;
        this.local = local;
        this.resolver = Executors.newSingleThreadExecutor(new DefaultThreadFactory("culvert-resolver", true));
        this.metrics = new DaemonMetrics(() -> {
            List<dev.culvert.protocol.Counters> all = DaemonStatus.interfaceCounters(udp, tcp);
            all.add(legacyCounters);
            return all;
        });
        this.retries = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("culvert-retry", true));
        this.tunnels = new TunnelSet(metrics, this::scheduleRetry, System::currentTimeMillis, Math::random);
        this.notify = SdNotify.fromEnvironment(loop);
    }

    /** Brings up every tunnel of a validated configuration on Linux. See {@link #start(CulvertConfig, Platform)}. */
    public static Daemon start(CulvertConfig config) throws IOException {
        return start(config, new LinuxPlatform());
    }

    /**
     * Brings up every tunnel of a validated configuration on {@code platform}.
     *
     * @throws IOException with an operator-readable message; whatever was set up is torn down again
     */
    public static Daemon start(CulvertConfig config, Platform platform) throws IOException {
        LocalStatic local = readLocal(config);
        ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        chooseAead(config.aead());
        selfTest(alloc);
        Daemon daemon = new Daemon(config, platform, local, alloc);
        try {
            daemon.bringUp();
        } catch (IOException e) {
            // The reason first, then the teardown's own lines ("stopped" last), so the log reads in order.
            LOG.log(System.Logger.Level.ERROR, e.getMessage());
            daemon.close();
            throw new NotStarted(e);
        } catch (RuntimeException e) {
            daemon.close();
            throw e;
        }
        return daemon;
    }

    /** A start that failed after the daemon began to come up: already logged at ERROR, and torn down. */
    public static final class NotStarted extends IOException {
        private static final long serialVersionUID = 1L;

        NotStarted(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private static LocalStatic readLocal(CulvertConfig config) throws IOException {
        byte[] privateKey = KeyFiles.readKey(config.privateKeyFile());
        try {
            return new LocalStatic(privateKey);
        } finally {
            Secrets.wipe(privateKey);
        }
    }

    /** True if {@code next}'s private key file holds the running key; the probe's copy of the key is wiped. */
    private boolean sameKey(CulvertConfig next) throws IOException {
        LocalStatic probe = readLocal(next);
        try {
            return java.util.Arrays.equals(probe.publicKey(), local.publicKey());
        } finally {
            probe.destroy();
        }
    }

    private void bringUp() throws IOException {
        // First, before any device exists: a port or control socket another daemon holds is a start error (issue 11).
        claimControlSocket(config);
        metricsServer = startMetricsServer(config, metrics);
        ensureTransports(config);
        ensureLegacyListener(config);
        warnAboutCompression(null, config);
        for (TunnelConfig tunnelConfig : config.tunnels().values()) {
            if (tunnelConfig.isLegacy()) {
                openLegacy(tunnelConfig);
            } else {
                tunnels.open(tunnelConfig, this::openTunnel);
            }
        }
        // Every tunnel's peer is in its engine: now the sockets may read (issue 13, start order).
        startReading();
        DropLog drops = new DropLog();
        watcher = loop.scheduleAtFixedRate(() -> {
            tunnels.all().forEach(Tunnel::watch);
            notify.status(statusLine());
            java.util.Map<String, dev.culvert.protocol.Counters> scopes = DaemonStatus.dropScopes(udp, tcp, tunnels.all());
            legacyTunnels.forEach(t -> scopes.put("tunnel " + t.name(), t.counters()));
            scopes.put("interface (vtun-legacy)", legacyCounters);
            drops.check(scopes, System.nanoTime());
        }, 200, 200, TimeUnit.MILLISECONDS);
        control = startControl(config, () -> DaemonStatus.show(config.source(), local.publicKey(), udp, tcp, tunnels,
                legacyTunnels, legacyFailed, legacyCounters,
                legacyListener == null ? 0 : legacyListener.localAddress().getPort()),
                this::reloadRequested);
        // Every device is up and every socket bound: now systemd may start what depends on us.
        notify.ready(statusLine());
    }

    /** Binds the UDP socket and creates the TCP transport if the configuration needs them and they are not there. */
    private void ensureTransports(CulvertConfig cfg) throws IOException {
        boolean anyUdp = cfg.tunnels().values().stream().anyMatch(t -> t.transport() == TransportKind.UDP);
        boolean anyTcp = cfg.tunnels().values().stream().anyMatch(t -> t.transport() == TransportKind.TCP);
        if (udp == null && (anyUdp || cfg.listenUdp().isPresent())) {
            udp = platform.udp(loop, listenAddress(cfg), local, alloc, cfg.udpOffload());
            holdReads(udp);
            LOG.log(System.Logger.Level.INFO, "listening on udp {0}, public key {1}",
                    Addresses.format(udp.localAddress()), Keys.encode(local.publicKey()));
        }
        if (tcp == null && (anyTcp || cfg.listenTcp().isPresent())) {
            tcp = platform.tcp(loop, cfg.listenTcp(), local, alloc, resolver);
            holdReads(tcp);
            if (cfg.listenTcp().isPresent()) {
                LOG.log(System.Logger.Level.INFO, "listening on tcp {0}, public key {1}",
                        Addresses.format(tcp.localAddress()), Keys.encode(local.publicKey()));
            }
        }
    }

    /**
     * Pauses a new transport's reads under {@link Platform#STARTING} until {@link #startReading()}: a no-op
     * for platforms that hand it over paused (as {@link LinuxPlatform} does, from before the bind), and the
     * pause for those that do not.
     */
    private void holdReads(Transport transport) {
        loop.submit(() -> transport.pauseReads(Platform.STARTING)).awaitUninterruptibly();
    }

    /** Ends the {@link Platform#STARTING} pause of every transport; what waited on a socket is read now. */
    private void startReading() {
        loop.submit(() -> {
            if (udp != null) {
                udp.resumeReads(Platform.STARTING);
            }
            if (tcp != null) {
                tcp.resumeReads(Platform.STARTING);
            }
        }).awaitUninterruptibly();
    }

    /** Binds culvert.listen.vtun-legacy if set and not bound yet. */
    private void ensureLegacyListener(CulvertConfig cfg) throws IOException {
        if (legacyListener == null && cfg.listenVtunLegacy().isPresent()) {
            legacyListener = LegacyListener.bind(loop, cfg.listenVtunLegacy().get(), this::legacySession, legacyCounters);
            LOG.log(System.Logger.Level.INFO, "listening for vtund clients on tcp {0} (vtun-legacy)",
                    Addresses.format(legacyListener.localAddress()));
        }
    }

    /** The server tunnel serving vtund session {@code session}, or null. */
    private LegacyTunnel legacySession(String session) {
        for (LegacyTunnel t : legacyTunnels) {
            if (t.isServer() && t.session().equals(session)) {
                return t;
            }
        }
        return null;
    }

    /**
     * Opens a transport = vtun-legacy tunnel: its device with plain packets (no virtio-net header: vtund's frames are
     * single packets), on the daemon's loop, listed for metrics and show.
     */
    private LegacyTunnel openLegacy(TunnelConfig tunnelConfig) throws IOException {
        dev.culvert.config.DeviceConfig d = tunnelConfig.device();
        Channel device = platform.openDevice(new dev.culvert.config.DeviceConfig(d.name(), d.mode(), d.mtu(),
                d.address(), d.routes(), d.mac(), false, d.existing()));
        LegacyTunnel tunnel = LegacyTunnel.open(tunnelConfig, device, loop, platform.links(), resolver,
                platform::resolve);
        legacyTunnels.add(tunnel);
        metrics.addTunnel(tunnel);
        LOG.log(System.Logger.Level.INFO, "tunnel {0}: device {1} ({2}, mtu {3}{4}), vtun-legacy, {5}",
                tunnelConfig.name(), d.name(), d.mode().name().toLowerCase(java.util.Locale.ROOT),
                String.valueOf(d.mtu()), d.address().map(a -> ", " + a).orElse(""),
                tunnelConfig.peer().endpoint().map(e -> "vtund server at " + e)
                        .orElse("waiting for a vtund client of session '" + tunnelConfig.legacy().get().session() + "'"));
        return tunnel;
    }

    private void closeLegacy(LegacyTunnel tunnel) {
        legacyTunnels.remove(tunnel);
        metrics.removeTunnel(tunnel.name());
        try {
            tunnel.close();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "closing tunnel {0}: {1}", tunnel.name(), e.toString());
        }
    }

    /** A vtun-legacy tunnel to start on reload: its new settings, the ones its stopped instance ran (or null), why. */
    private record LegacyStart(TunnelConfig wanted, TunnelConfig previous, ReloadOutcome.Change change,
                               List<String> details) {}

    /**
     * A reload's vtun-legacy part, first half (before the modern tunnels, so a name that moves from one kind to the
     * other finds its device free), as {@link TunnelSet#apply} does for the others: a tunnel whose settings are the
     * same and whose password file still holds the same password is unchanged (device and session kept); one with any
     * change is stopped, to be started by {@link #startLegacy} (vtund agrees a session's settings once, at its start:
     * nothing can change in a running session); one that is gone is closed.
     *
     * @param changes filled with the unchanged and removed tunnels' outcome
     * @return the tunnels to start, in {@code next}'s order
     */
    private List<LegacyStart> stopLegacyFor(CulvertConfig next, java.util.Map<String, ReloadOutcome.TunnelChange> changes,
                                            List<ReloadOutcome.TunnelChange> removed) {
        List<LegacyStart> toStart = new java.util.ArrayList<>();
        for (LegacyTunnel t : List.copyOf(legacyTunnels)) {
            TunnelConfig wanted = next.tunnels().get(t.name());
            if (wanted == null || !wanted.isLegacy()) {
                closeLegacy(t);
                if (wanted == null) {
                    removed.add(ReloadOutcome.TunnelChange.of(t.name(), ReloadOutcome.Change.REMOVED));
                    LOG.log(System.Logger.Level.INFO, "reload: tunnel {0} removed", t.name());
                }
                continue;
            }
            List<String> why = new java.util.ArrayList<>(LegacyTunnel.restartReasons(t.config(), wanted));
            if (why.isEmpty() && t.stopped()) {
                why.add("its session had ended (persist off)");
            }
            if (why.isEmpty()) {
                String unreadable = passwordUnchanged(t, wanted, why);
                if (unreadable != null) {
                    t.reloadFailed(unreadable);
                    LOG.log(System.Logger.Level.ERROR, "reload: tunnel {0}: {1}", t.name(), unreadable);
                    changes.put(t.name(), ReloadOutcome.TunnelChange.keptOld(t.name(), List.of(), unreadable));
                    continue;
                }
            }
            if (why.isEmpty()) {
                t.reloadFailed(null);
                changes.put(t.name(), ReloadOutcome.TunnelChange.of(t.name(), ReloadOutcome.Change.UNCHANGED));
                continue;
            }
            boolean stopped = t.stopped();
            closeLegacy(t);
            toStart.add(new LegacyStart(wanted, stopped ? null : t.config(), ReloadOutcome.Change.RESTARTED, why));
            LOG.log(System.Logger.Level.INFO, "reload: tunnel {0} restarts: {1}", t.name(), String.join(", ", why));
        }
        for (FailedTunnel f : List.copyOf(legacyFailed)) {
            forgetLegacy(f);
            TunnelConfig wanted = next.tunnels().get(f.name());
            if (wanted == null) {
                removed.add(ReloadOutcome.TunnelChange.of(f.name(), ReloadOutcome.Change.REMOVED));
                LOG.log(System.Logger.Level.INFO, "reload: tunnel {0} (failed) removed", f.name());
            } else if (wanted.isLegacy()) {
                toStart.add(new LegacyStart(wanted, null, ReloadOutcome.Change.RESTARTED,
                        LegacyTunnel.restartReasons(f.config(), wanted)));
            }
        }
        for (TunnelConfig wanted : next.tunnels().values()) {
            if (wanted.isLegacy() && !changes.containsKey(wanted.name())
                    && toStart.stream().noneMatch(s -> s.wanted().name().equals(wanted.name()))) {
                toStart.add(new LegacyStart(wanted, null, ReloadOutcome.Change.ADDED, List.of()));
            }
        }
        return toStart;
    }

    /**
     * Reads {@code wanted}'s password file: a different password is a change ({@code legacy.password-file contents
     * changed} added to {@code why}, the tunnel restarts with it).
     *
     * @return why the file cannot be read (the tunnel runs on with the password it has), or null
     */
    private static String passwordUnchanged(LegacyTunnel t, TunnelConfig wanted, List<String> why) {
        byte[] now;
        try {
            now = dev.culvert.config.KeyFiles.readPassword(wanted.legacy().orElseThrow().passwordFile());
        } catch (IOException e) {
            return "legacy.password-file: " + e.getMessage() + "; the session goes on with the password read before";
        }
        try {
            if (!t.samePassword(now)) {
                why.add("legacy.password-file contents changed");
            }
        } finally {
            dev.culvert.crypto.Secrets.wipe(now);
        }
        return null;
    }

    /**
     * The second half of {@link #stopLegacyFor}, after the modern tunnels' reload freed their devices: as
     * {@link TunnelSet}, a tunnel whose new settings cannot start runs again on its previous settings (KEPT_OLD);
     * one with none is listed failed and, with persist on, tried again with the persist backoff.
     */
    private void startLegacy(List<LegacyStart> toStart, java.util.Map<String, ReloadOutcome.TunnelChange> changes) {
        for (LegacyStart start : toStart) {
            TunnelConfig wanted = start.wanted();
            String reason;
            try {
                openLegacy(wanted);
                changes.put(wanted.name(), ReloadOutcome.TunnelChange.of(wanted.name(), start.change(), start.details()));
                continue;
            } catch (IOException | RuntimeException e) {
                reason = e.getMessage() != null ? e.getMessage() : e.toString();
                LOG.log(System.Logger.Level.ERROR, "reload: tunnel {0} could not start: {1}", wanted.name(), reason);
            }
            if (start.previous() != null) {
                try {
                    openLegacy(start.previous()).reloadFailed(reason);
                    LOG.log(System.Logger.Level.WARNING, "reload: tunnel {0}: previous settings restored (device "
                            + "re-created); its new settings ({1}) could not start", wanted.name(),
                            String.join(", ", start.details()));
                    changes.put(wanted.name(), ReloadOutcome.TunnelChange.keptOld(wanted.name(), start.details(), reason));
                    continue;
                } catch (IOException | RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "reload: tunnel {0} could not start on its previous settings "
                            + "either: {1}", wanted.name(), e.getMessage());
                }
            }
            FailedTunnel f = failLegacy(wanted, reason, 1, null);
            changes.put(wanted.name(), ReloadOutcome.TunnelChange.failed(wanted.name(), reason, f.nextRetryEpochMillis(),
                    f.nextRetryEpochMillis() == 0 ? 0
                            : dev.culvert.daemon.control.RetryTiming.secondsUntil(f.nextRetryEpochMillis(),
                            System.currentTimeMillis())));
        }
    }

    /** Lists a vtun-legacy tunnel that could not start (in {@code replacing}'s place), retried if persist is on. */
    private FailedTunnel failLegacy(TunnelConfig cfg, String reason, int attempts, FailedTunnel replacing) {
        long delaySeconds = cfg.persist() ? dev.culvert.daemon.control.RetryTiming.backoffSeconds(attempts, Math.random())
                : 0;
        FailedTunnel f = new FailedTunnel(cfg, reason, attempts,
                cfg.persist() ? System.currentTimeMillis() + delaySeconds * 1000 : 0);
        int at = replacing == null ? -1 : legacyFailed.indexOf(replacing);
        if (at >= 0) {
            legacyFailed.set(at, f);
        } else {
            legacyFailed.add(f);
        }
        metrics.addTunnel(f);
        if (cfg.persist()) {
            f.retry(scheduleRetry(() -> retryLegacy(f), delaySeconds * 1000));
            LOG.log(System.Logger.Level.WARNING, "tunnel {0} failed to start (attempt {1}); trying again in {2}",
                    cfg.name(), String.valueOf(attempts), dev.culvert.daemon.control.RetryTiming.text(delaySeconds));
        } else {
            LOG.log(System.Logger.Level.WARNING, "tunnel {0} failed to start; persist is off, so it is not tried "
                    + "again until a reload", cfg.name());
        }
        return f;
    }

    private void retryLegacy(FailedTunnel f) {
        if (!legacyFailed.contains(f)) {
            return;
        }
        metrics.removeTunnel(f.name());
        try {
            openLegacy(f.config());
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "tunnel {0} could not start: {1}", f.name(), e.getMessage());
            failLegacy(f.config(), e.getMessage() != null ? e.getMessage() : e.toString(), f.attempts() + 1, f);
            return;
        }
        legacyFailed.remove(f);
        LOG.log(System.Logger.Level.INFO, "tunnel {0} started on attempt {1}", f.name(),
                String.valueOf(f.attempts() + 1));
    }

    private void forgetLegacy(FailedTunnel f) {
        f.cancelRetry();
        legacyFailed.remove(f);
        metrics.removeTunnel(f.name());
    }

    /**
     * The modern tunnels' outcome and the vtun-legacy ones' as one, in {@code next}'s order, then the removed ones. A
     * tunnel that moved between the two kinds ({@code transport udp -> vtun-legacy}) is one restart, not an add and a
     * remove.
     */
    private static ReloadOutcome merged(CulvertConfig now, CulvertConfig next, ReloadOutcome modern,
                                        java.util.Map<String, ReloadOutcome.TunnelChange> legacy,
                                        List<ReloadOutcome.TunnelChange> legacyRemoved) {
        java.util.Map<String, ReloadOutcome.TunnelChange> byName = new java.util.HashMap<>();
        List<ReloadOutcome.TunnelChange> removed = new java.util.ArrayList<>();
        for (ReloadOutcome.TunnelChange c : modern.tunnels()) {
            if (c.change() == ReloadOutcome.Change.REMOVED) {
                removed.add(c);
            } else {
                byName.put(c.name(), c);
            }
        }
        byName.putAll(legacy);
        removed.addAll(legacyRemoved);
        removed.removeIf(c -> next.tunnels().containsKey(c.name()));
        byName.replaceAll((name, c) -> {
            TunnelConfig was = now.tunnels().get(name);
            if (c.change() != ReloadOutcome.Change.ADDED || was == null) {
                return c;
            }
            return ReloadOutcome.TunnelChange.of(name, ReloadOutcome.Change.RESTARTED,
                    Tunnel.restartReasons(was, next.tunnels().get(name)));
        });
        List<ReloadOutcome.TunnelChange> ordered = new java.util.ArrayList<>();
        for (String name : next.tunnels().keySet()) {
            if (byName.containsKey(name)) {
                ordered.add(byName.get(name));
            }
        }
        ordered.addAll(removed);
        return ReloadOutcome.applied(ordered);
    }

    /** {@code cfg} without its vtun-legacy tunnels: what {@link TunnelSet} applies. */
    private static CulvertConfig withoutLegacy(CulvertConfig cfg) {
        java.util.Map<String, TunnelConfig> modern = new java.util.LinkedHashMap<>();
        cfg.tunnels().forEach((name, t) -> {
            if (!t.isLegacy()) {
                modern.put(name, t);
            }
        });
        return new CulvertConfig(cfg.source(), cfg.privateKeyFile(), cfg.listenUdp(), modern, cfg.metricsBind(),
                cfg.controlSocket(), cfg.logLevel(), cfg.listenTcp(), cfg.aead(), cfg.udpOffload(),
                cfg.listenVtunLegacy());
    }

    /** Where devices and transports meet: the tunnel's device, on its transport. */
    private Tunnel openTunnel(TunnelConfig tunnelConfig) throws IOException {
        Transport transport = tunnelConfig.transport() == TransportKind.TCP ? tcp : udp;
        Channel device = platform.openDevice(tunnelConfig.device());
        LOG.log(System.Logger.Level.INFO, "device ''{0}'' offloads: {1}", tunnelConfig.device().name(),
                TunDevice.offloadsOf(device).describe());
        return Tunnel.open(tunnelConfig, device, platform.links(), transport, local, resolver, platform::resolve);
    }

    /**
     * The VORACLE warning, at start when a tunnel compresses and on a reload only when a tunnel's compression is
     * newly on (not again at every reload of an unchanged file).
     *
     * @param before the running configuration; null at start
     */
    private static void warnAboutCompression(CulvertConfig before, CulvertConfig cfg) {
        if (cfg.tunnels().values().stream().anyMatch(t -> t.compression().isOn() && (before == null
                || before.tunnels().get(t.name()) == null || !before.tunnels().get(t.name()).compression().isOn()))) {
            LOG.log(System.Logger.Level.WARNING, "compression is on: packet sizes after compression reveal how "
                    + "compressible the traffic is (the VORACLE attack); keep it off for traffic that mixes "
                    + "secrets with data others can choose");
        }
    }

    /**
     * What a reload read: a validated configuration, or the problems that refuse it.
     *
     * @param config   null if refused
     * @param problems {@code file:line: key: message} lines; empty if {@code config} is set
     */
    public record Loaded(CulvertConfig config, java.util.List<String> problems) {
        public static Loaded of(CulvertConfig config) {
            return new Loaded(config, List.of());
        }

        public static Loaded refused(java.util.List<String> problems) {
            return new Loaded(null, problems);
        }
    }

    /**
     * Applies a new, already validated configuration as a diff (see {@link TunnelSet#apply}). Daemon-wide
     * settings go as {@link DaemonSettings} says: the log level is applied; a change a reload cannot make (the
     * private key, the listen addresses, UDP offload, the AEAD, the metrics address, the control socket) is
     * refused with a message naming it, and nothing is changed. Safe from any thread; one at a time.
     */
    public ReloadOutcome reload(CulvertConfig next) {
        return reloadChecked(() -> Loaded.of(next));
    }

    /** {@link #reloadChecked} for a loader that returns null for an invalid file (having logged why). */
    public ReloadOutcome reload(Supplier<CulvertConfig> loader) {
        return reloadChecked(() -> {
            CulvertConfig next = loader.get();
            return next != null ? Loaded.of(next) : Loaded.refused(List.of("the new configuration is invalid"));
        });
    }

    /**
     * Like {@link #reload(CulvertConfig)}, with the reading and validating inside the reload: systemd
     * hears RELOADING=1 first and READY=1 when it is over, whether the new file was applied or refused.
     *
     * @param loader reads and validates the new configuration; a refusal keeps the running configuration
     * @return what the reload did (refused, applied or partly applied, tunnel by tunnel); also logged
     */
    public ReloadOutcome reloadChecked(Supplier<Loaded> loader) {
        synchronized (reloadLock) {
            if (stopped.getCount() == 0) {
                return ReloadOutcome.refused(List.of("culvert is stopping"));
            }
            notify.reloading();
            try {
                Loaded loaded = loader.get();
                CulvertConfig next = loaded.config();
                if (next == null) {
                    return ReloadOutcome.refused(loaded.problems());
                }
                List<DaemonSettings.Change> global;
                try {
                    global = DaemonSettings.diff(config, next, sameKey(next));
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.ERROR, "reload refused: culvert.private-key-file: {0} (the running "
                            + "configuration stays)", e.getMessage());
                    return ReloadOutcome.refused(List.of(next.source() + ": culvert.private-key-file: " + e.getMessage()));
                }
                List<String> refusals = global.stream().filter(c -> c.needsRestartBecause() != null)
                        .map(DaemonSettings.Change::refusal).toList();
                if (!refusals.isEmpty()) {
                    refusals.forEach(r -> LOG.log(System.Logger.Level.ERROR, "reload refused: {0}; restart culvert to "
                            + "apply it (the running configuration stays)", r));
                    return ReloadOutcome.refused(refusals.stream().map(r -> next.source() + ": " + r).toList());
                }
                List<String> settings = applyLive(global);
                java.util.Map<String, ReloadOutcome.TunnelChange> legacyChanges = new java.util.HashMap<>();
                List<ReloadOutcome.TunnelChange> removed = new java.util.ArrayList<>();
                List<LegacyStart> legacyStarts = stopLegacyFor(next, legacyChanges, removed);
                ReloadOutcome modern = tunnels.apply(withoutLegacy(next), this::openTunnel, () -> {
                    try {
                        ensureTransports(next);
                    } catch (IOException e) {
                        LOG.log(System.Logger.Level.ERROR, "reload: {0}", e.getMessage());
                    }
                    warnAboutCompression(config, next);
                });
                startLegacy(legacyStarts, legacyChanges);
                ReloadOutcome outcome = merged(config, next, modern, legacyChanges, removed).withSettings(settings);
                config = next;
                List<String> notStarted = outcome.tunnels().stream()
                        .filter(t -> t.change() == ReloadOutcome.Change.FAILED || t.change() == ReloadOutcome.Change.KEPT_OLD)
                        .map(t -> t.name() + " (" + t.change().tag() + ")").toList();
                LOG.log(notStarted.isEmpty() ? System.Logger.Level.INFO : System.Logger.Level.WARNING,
                        "reloaded: {0} unchanged, {1} changed in place, {2} restarted, {3} added, {4} removed{5}{6}",
                        String.valueOf(outcome.count(ReloadOutcome.Change.UNCHANGED)),
                        String.valueOf(outcome.count(ReloadOutcome.Change.UPDATED)),
                        String.valueOf(outcome.count(ReloadOutcome.Change.RESTARTED)),
                        String.valueOf(outcome.count(ReloadOutcome.Change.ADDED)),
                        String.valueOf(outcome.count(ReloadOutcome.Change.REMOVED)),
                        notStarted.isEmpty() ? "" : "; failed to start: " + String.join(", ", notStarted),
                        settings.isEmpty() ? "" : "; " + String.join(", ", settings));
                return outcome;
            } finally {
                startReading(); // a transport the reload created waited for the tunnels added with it
                notify.ready(statusLine());
            }
        }
    }

    /**
     * Lets the control socket's {@code reload} request reload through {@code loader} (the command that
     * owns the file reads and validates it, as for SIGHUP). Until this is called the request is refused.
     */
    public void onReloadRequest(Supplier<Loaded> loader) {
        reloadSource = loader;
    }

    private ReloadOutcome reloadRequested() {
        Supplier<Loaded> loader = reloadSource;
        if (loader == null) {
            return ReloadOutcome.refused(List.of("this daemon does not reload over its control socket"));
        }
        return reloadChecked(loader);
    }

    /** The metrics as the endpoint would serve them (Prometheus text), for tests in this package. */
    String scrapeMetrics() {
        return metrics.scrape();
    }

    /** The systemd STATUS= line. */
    String statusLine() {
        return DaemonStatus.line(tunnels, legacyTunnels, legacyFailed, System.currentTimeMillis());
    }

    /** A failed tunnel's next attempt, under the reload lock, unless the daemon has stopped. */
    private java.util.concurrent.Future<?> scheduleRetry(Runnable retry, long delayMillis) {
        return retries.schedule(() -> {
            synchronized (reloadLock) {
                if (stopped.getCount() == 0) {
                    return;
                }
                try {
                    retry.run();
                } finally {
                    startReading();
                    notify.status(statusLine());
                }
            }
        }, delayMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * Applies the daemon-wide settings a reload can change ({@link DaemonSettings}: the log level, unless
     * {@code --log-level} set it on the command line) and says what it did, one line each.
     */
    private List<String> applyLive(List<DaemonSettings.Change> changes) {
        List<String> applied = new java.util.ArrayList<>();
        for (DaemonSettings.Change c : changes) {
            if (c.needsRestartBecause() != null) {
                continue;
            }
            if (c.key().equals("log-level")) {
                String override = logLevelFromCommandLine;
                if (override != null) {
                    applied.add(c.text() + " (not applied: --log-level " + override + " on the command line wins)");
                    continue;
                }
                dev.culvert.daemon.log.Logging.setLevel(dev.culvert.daemon.log.Logging.LogLevel.valueOf(
                        String.valueOf(c.is()).toUpperCase(java.util.Locale.ROOT)));
            }
            applied.add(c.text());
        }
        return applied;
    }

    /**
     * Says that {@code --log-level LEVEL} was given: it wins over {@code culvert.log-level}, at start and on every
     * reload (which then reports the file's change as not applied).
     */
    public void logLevelFromCommandLine(String level) {
        logLevelFromCommandLine = level;
    }

    /**
     * Refuses the start ({@link Conflict}, exit 78) if another live daemon serves this daemon's control socket
     * path (two config files of the same name in two folders share the default path): it would otherwise run with
     * neither {@code culvert show} nor {@code culvert reload} reaching it. A socket file a killed daemon left is
     * removed ({@link ControlServer#checkFree}).
     */
    private static void claimControlSocket(CulvertConfig config) throws Conflict {
        try {
            ControlServer.checkFree(config.controlSocket());
        } catch (ControlServer.InUse e) {
            throw new Conflict(e.getMessage(), e);
        } catch (IOException e) {
            // No permission on /run/culvert and the like: startControl warns.
        }
    }

    /**
     * Serves the control socket. A path another live daemon serves stops the start ({@link Conflict}); any other
     * failure (no permission on /run/culvert) is a warning: the tunnels run on, only `culvert show` and
     * `culvert reload` cannot reach them.
     */
    private static ControlServer startControl(CulvertConfig config, Supplier<ShowRequests.Source> source,
                                              Supplier<ReloadOutcome> reload) throws Conflict {
        try {
            ControlServer server = ControlServer.start(config.controlSocket(), ShowRequests.handler(source, reload));
            LOG.log(System.Logger.Level.INFO, "control socket {0}", server.path());
            return server;
        } catch (ControlServer.InUse e) {
            throw new Conflict(e.getMessage(), e);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "{0}; `culvert show` and `culvert reload` cannot reach this daemon "
                    + "(set culvert.control.socket)", e.getMessage());
            return null;
        }
    }

    /** The control socket's path, or null if it could not be created. */
    public java.nio.file.Path controlSocket() {
        return control == null ? null : control.path();
    }

    /**
     * Serves metrics if configured. An address that cannot be bound stops the start ({@link Conflict}): two
     * instances left on the default port would otherwise run with one of them silently unmetered. The message
     * says who holds the port, as far as asking it over HTTP tells: another culvert daemon or another program.
     */
    private static MetricsServer startMetricsServer(CulvertConfig config, DaemonMetrics metrics) throws Conflict {
        if (config.metricsBind().isEmpty()) {
            return null;
        }
        InetSocketAddress bind = config.metricsBind().get();
        try {
            MetricsServer server = MetricsServer.start(bind, metrics);
            LOG.log(System.Logger.Level.INFO, "metrics on http://{0}{1}", Addresses.format(server.address()),
                    MetricsServer.PATH);
            return server;
        } catch (IOException e) {
            boolean inUse = e.getCause() instanceof java.net.BindException
                    && String.valueOf(e.getCause().getMessage()).contains("in use");
            String holder = inUse ? MetricsServer.describeHolder(bind) : null;
            throw new Conflict(e.getMessage() + (holder == null ? "" : " (" + holder + ")")
                    + "; give each daemon on this host its own culvert.metrics.bind port (e.g. 9586, 9587, ... "
                    + "one per instance) or set it to off", e);
        }
    }

    /**
     * A start refused because the configuration asks for something another program holds (the metrics
     * address, the control socket's path): a restart does not help until the file or the other program changes, so {@code culvert run}
     * exits with EX_CONFIG (78).
     */
    public static final class Conflict extends IOException {
        private static final long serialVersionUID = 1L;

        /** A conflict described by {@code message} (what is held, by whom, what to change). */
        public Conflict(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The metrics endpoint's address, or null if metrics are off or could not be bound. */
    public InetSocketAddress metricsAddress() {
        return metricsServer == null ? null : metricsServer.address();
    }

    /**
     * Picks the data path's ChaCha20-Poly1305 (the JDK's, Conscrypt's or Bouncy Castle's) by a short measured
     * race, or as {@code culvert.aead} forces, and says which and how fast.
     *
     * @throws IOException if a forced implementation is unavailable or fails its known-answer check
     */
    private static void chooseAead(String setting) throws IOException {
        ChaCha20Poly1305Factory.Choice choice;
        try {
            choice = ChaCha20Poly1305Factory.choose(setting);
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw new IOException("culvert.aead (or -D" + ChaCha20Poly1305Factory.PROPERTY + "): " + e.getMessage(), e);
        }
        LOG.log(System.Logger.Level.INFO, "Java {0}; ChaCha20-Poly1305: {1}", Runtime.version().toString(),
                choice.describe());
        if (choice.chosen() == ChaCha20Poly1305Factory.Implementation.JDK && Runtime.version().feature() < 20) {
            LOG.log(System.Logger.Level.WARNING, "Java {0}''s ChaCha20-Poly1305 has no CPU intrinsics; Conscrypt "
                    + "or Java 21+ moves several times the traffic per core", String.valueOf(Runtime.version().feature()));
        }
    }

    /**
     * Runs the crypto self-test over the chosen AEAD, which also gets the JIT to compile the data path
     * before the first real packet.
     */
    private static void selfTest(ByteBufAllocator alloc) throws IOException {
        long t0 = System.nanoTime();
        try {
            SelfTest.run(alloc, SELF_TEST_PACKETS);
        } catch (RuntimeException e) {
            throw new IOException("crypto self-test failed, refusing to start: " + e.getMessage(), e);
        }
        LOG.log(System.Logger.Level.DEBUG, "self-test passed in {0} ms", String.valueOf((System.nanoTime() - t0) / 1_000_000));
    }

    /**
     * The configured listen address, or an ephemeral port on {@code [::]} (a client need not listen): both
     * families, or {@code 0.0.0.0} where the host has no IPv6 ({@link Addresses#bindable}). Not {@code 0.0.0.0} by choice:
     * that is an IPv4-only socket now ({@link Addresses#socketFamily}), which could not reach a peer whose name
     * resolves to IPv6.
     */
    static InetSocketAddress listenAddress(CulvertConfig config) {
        return config.listenUdp().orElseGet(() -> new InetSocketAddress(Addresses.ANY6, 0));
    }

    /** The UDP socket's address, or null if no tunnel uses UDP and none is configured. */
    public InetSocketAddress udpAddress() {
        return udp == null ? null : udp.localAddress();
    }

    /** The TCP listener's address, or null if not listening on TCP. */
    public InetSocketAddress tcpAddress() {
        return tcp == null ? null : tcp.localAddress();
    }

    public List<String> tunnelNames() {
        List<String> names = new java.util.ArrayList<>(tunnels.all().stream().map(Tunnel::name).toList());
        legacyTunnels.forEach(t -> names.add(t.name()));
        legacyFailed.forEach(f -> names.add(f.name()));
        return names;
    }

    /** The running tunnels' views (state, counters, endpoint), for tests and tools in this package. */
    List<Tunnel> tunnels() {
        return tunnels.all();
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /** Stops everything and removes the devices. Idempotent; safe from any thread. */
    @Override
    public void close() {
        synchronized (reloadLock) {
            closeLocked();
        }
    }

    private void closeLocked() {
        if (stopped.getCount() == 0) {
            return;
        }
        notify.stopping();
        if (control != null) {
            control.close();
        }
        if (watcher != null) {
            watcher.cancel(false);
        }
        if (metricsServer != null) {
            metricsServer.close();
        }
        retries.shutdownNow();
        if (legacyListener != null) {
            legacyListener.close();
        }
        for (FailedTunnel f : List.copyOf(legacyFailed)) {
            forgetLegacy(f);
        }
        for (LegacyTunnel t : List.copyOf(legacyTunnels)) {
            closeLegacy(t);
        }
        tunnels.closeAll();
        if (tcp != null) {
            tcp.close();
        }
        if (udp != null) {
            udp.close();
        }
        notify.close();
        resolver.shutdownNow();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        metrics.close();
        local.destroy(); // the transports are closed: nothing handshakes with the private key any more
        LOG.log(System.Logger.Level.INFO, "stopped");
        stopped.countDown();
    }
}
