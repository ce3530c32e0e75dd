package dev.culvert.daemon;

import dev.culvert.config.DeviceMode;
import dev.culvert.config.KeyFiles;
import dev.culvert.config.LegacyConfig;
import dev.culvert.config.TunnelConfig;
import dev.culvert.crypto.Secrets;
import dev.culvert.daemon.metrics.TunnelView;
import dev.culvert.daemon.tun.LinkConfigurator;
import dev.culvert.protocol.Counters;
import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.Peer;
import dev.culvert.protocol.vtun.VtunAuth;
import dev.culvert.protocol.vtun.VtunCipher;
import dev.culvert.protocol.vtun.VtunFlags;
import dev.culvert.protocol.vtun.VtunFrameException;
import dev.culvert.protocol.vtun.VtunFrames;
import dev.culvert.protocol.vtun.VtunLink;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * A {@code transport = vtun-legacy} tunnel: its device joined to one vtund session at a time, as a server (a vtund
 * client dialled {@code culvert.listen.vtun-legacy}, see {@link LegacyListener}) or as a client (it dials the vtund
 * server at {@code peer.endpoint} and redials 5 s after a session ends, as vtund's {@code persist}). Device, hooks,
 * metrics and {@code culvert show} as every tunnel; vtund's protocol in {@link dev.culvert.protocol.vtun}.
 * Insecure (VTUN.md §3): a WARN at every start says what it lacks.
 *
 * <p>Threading: the device, the session's channels and every method below except {@link #open} and {@link #close}
 * run on the tunnel's event loop; the {@link TunnelView} methods are read from any thread.
 */
final class LegacyTunnel implements TunnelView, AutoCloseable {
    static final System.Logger LOG = System.getLogger("culvert.tunnel");
    /** vtund's client waits 5 s before it reconnects ({@code client.c}). */
    static final long REDIAL_SECONDS = 5;
    /** The smallest packet a device takes: an IPv4 header, or an Ethernet header (vtund's 1-byte resync filler). */
    private static final int MIN_TUN_PACKET = 20;
    private static final int MIN_TAP_FRAME = 14;

    private final TunnelConfig config;
    private final LegacyConfig legacy;
    private final Channel device;
    private final IoEventLoop loop;
    private final LinkConfigurator links;
    private final LinkConfigurator.Added added;
    private final Executor resolver;
    private final HostResolver names;
    private final byte[] password;
    private final Counters counters = new Counters();
    private final boolean client;

    private volatile LegacySession.Link link;
    private VtunLink transforms;
    private volatile Peer.State state;
    private volatile InetSocketAddress endpoint;
    private volatile long sessionStartMillis;
    private ScheduledFuture<?> keepalive;
    private ScheduledFuture<?> redial;
    private Channel dialling;
    private int idle;
    private volatile boolean closing;
    private boolean hooksConfigured;
    private boolean downHooksRan;
    private String lastRefusal;
    /** Why the reloaded settings could not start (this instance runs the previous ones), or null. */
    private volatile String reloadFailure;
    /** A client with persist off whose session (or first dial) ended: why it no longer dials, or null. */
    private volatile String stopped;
    /** A client's last session FLAGS from the server (what it runs), or null before the first. */
    private volatile VtunFlags serverDecided;
    private boolean everUp;

    private LegacyTunnel(TunnelConfig config, Channel device, IoEventLoop loop, LinkConfigurator links,
                         Executor resolver, HostResolver names, byte[] password) {
        this.config = config;
        this.legacy = config.legacy().orElseThrow();
        this.device = device;
        this.loop = loop;
        this.links = links;
        this.added = new LinkConfigurator.Added(config.device().name());
        this.resolver = resolver;
        this.names = names;
        this.password = password;
        this.client = config.peer().endpoint().isPresent();
        this.state = client ? Peer.State.CONNECTING : Peer.State.DOWN;
    }

    /**
     * Reads the password file, registers the device on {@code loop}, configures it, runs the up hooks and, for a
     * client, dials the vtund server.
     *
     * @param device the tun/tap channel (plain packets: no virtio-net header), open and not registered; closed if
     *               anything fails
     * @throws IOException with an operator-readable message (never the password); whatever was set up is undone
     */
    static LegacyTunnel open(TunnelConfig config, Channel device, IoEventLoop loop, LinkConfigurator links,
                             Executor resolver, HostResolver names) throws IOException {
        byte[] password;
        try {
            password = KeyFiles.readPassword(config.legacy().orElseThrow().passwordFile());
        } catch (IOException e) {
            device.unsafe().closeForcibly();
            throw new IOException("tunnel " + config.name() + ": legacy.password-file: " + e.getMessage(), e);
        }
        LegacyTunnel tunnel = new LegacyTunnel(config, device, loop, links, resolver, names, password);
        try {
            device.pipeline().addLast("vtun-legacy", tunnel.new DeviceHandler());
            ChannelFuture registered = loop.register(device).awaitUninterruptibly();
            if (!registered.isSuccess()) {
                throw new IOException("tunnel " + config.name() + ": cannot register device " + config.device().name()
                        + ": " + registered.cause(), registered.cause());
            }
            links.configure(config.device(), tunnel.added);
            tunnel.warnInsecure();
            tunnel.hooksConfigured = true;
            Hooks.run(config.name(), "up", config.up(), tunnel.hookValues(), config.hookTimeout(), true);
            if (tunnel.client) {
                loop.execute(tunnel::dial);
            }
        } catch (IOException | RuntimeException e) {
            tunnel.close();
            throw e;
        }
        return tunnel;
    }

    /** At every start: what this tunnel lacks (issue 12). */
    private void warnInsecure() {
        LOG.log(System.Logger.Level.WARNING, "tunnel {0}: transport vtun-legacy (vtund {1}, session ''{2}'', {3}) "
                        + "is INSECURE: no MAC (frames can be altered undetected), no replay "
                        + "protection, a static key derived from the password by unsalted MD5, the server never "
                        + "authenticated; use it to migrate, then move to a modern tunnel",
                config.name(), client ? "client of " + config.peer().endpoint().get() : "server",
                legacy.session(), client ? "proto, encrypt and compress decided by the server at each session"
                        : legacy.proto().name().toLowerCase(java.util.Locale.ROOT) + ", encrypt "
                        + legacy.encrypt().configName() + ", compress " + legacy.compress());
    }

    // ---- device side ----

    /** The device's packets to the session (or dropped, counted, while there is none). */
    private final class DeviceHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            toPeer((ByteBuf) msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            LegacySession.Link l = link;
            if (l != null) {
                l.flush();
            }
        }
    }

    /** One packet from the device to the session; takes over {@code packet}'s reference. */
    private void toPeer(ByteBuf packet) {
        LegacySession.Link l = link;
        if (l == null) {
            packet.release();
            counters.drop(DropReason.NO_CONNECTION);
            return;
        }
        int length = packet.readableBytes();
        if (transforms.isPlain()) {
            if (length == 0 || length > VtunFrames.LENGTH_MASK) {
                packet.release();
                counters.drop(DropReason.TOO_BIG);
                return;
            }
            counters.add(Counters.Kind.TX_PACKETS, 1);
            counters.add(Counters.Kind.TX_BYTES, length);
            l.sendPlain(packet);
            return;
        }
        byte[] bytes = ByteBufUtil.getBytes(packet);
        packet.release();
        byte[] payload = transforms.outbound(bytes, 0, bytes.length);
        if (payload == null || payload.length == 0) {
            counters.drop(DropReason.TOO_BIG);
            return;
        }
        counters.add(Counters.Kind.TX_PACKETS, 1);
        counters.add(Counters.Kind.TX_BYTES, length);
        l.sendPayload(payload, false);
    }

    /**
     * A data frame's payload from the session: decrypted, decompressed and written to the device. Takes over
     * {@code payload}'s reference; a session without cipher or compression writes it to the device as it is.
     *
     * @throws dev.culvert.protocol.vtun.VtunFrameException if it is larger than the device takes or does not
     *         decompress within that bound (the session closes)
     */
    void fromPeer(LegacySession.Link from, ByteBuf payload) {
        if (from != link) {
            payload.release();
            return;
        }
        ByteBuf packet = transforms.isPlain() ? checkedPlain(payload) : transformed(payload);
        if (packet == null) {
            return;
        }
        counters.add(Counters.Kind.RX_PACKETS, 1);
        counters.add(Counters.Kind.RX_BYTES, packet.readableBytes());
        device.write(packet, device.voidPromise());
    }

    /** A plain payload as the packet itself, or null (released) if it is vtund's resync filler. */
    private ByteBuf checkedPlain(ByteBuf payload) {
        int length = payload.readableBytes();
        if (length <= transforms.bound() && length >= minPacket()) {
            return payload;
        }
        payload.release();
        if (length > transforms.bound()) {
            throw new VtunFrameException("packet of " + length + " bytes, over " + transforms.bound());
        }
        return null;
    }

    /**
     * The payload decrypted and decompressed into a direct buffer for the device; null if it does not decrypt (a
     * counted drop) or is vtund's resync filler. Releases {@code payload}.
     */
    private ByteBuf transformed(ByteBuf payload) {
        byte[] bytes;
        try {
            bytes = ByteBufUtil.getBytes(payload);
        } finally {
            payload.release();
        }
        byte[] packet = transforms.inbound(bytes, 0, bytes.length); // VtunFrameException: the session closes
        if (packet == null) {
            counters.drop(DropReason.VTUN_BAD_CIPHERTEXT);
            return null;
        }
        if (packet.length < minPacket()) {
            return null;
        }
        return device.alloc().directBuffer(packet.length).writeBytes(packet);
    }

    /**
     * Below this, a payload is vtund's 1-byte filler that hurries a cipher resync along (linkfd.c send_a_packet):
     * an IPv4 header (tun) or an Ethernet header (tap).
     */
    private int minPacket() {
        return config.device().mode() == DeviceMode.TAP ? MIN_TAP_FRAME : MIN_TUN_PACKET;
    }

    void deviceFlush() {
        device.flush();
    }

    /** Back-pressure: the session cannot take more, so the device stops being read until it drains. */
    void sessionWritable(boolean writable) {
        device.config().setAutoRead(writable);
    }

    // ---- authentication ----

    /** The server's check of a client's challenge response with this session's password. */
    boolean checkResponse(byte[] challenge, byte[] response) {
        return response != null && VtunAuth.verify(password, challenge, response);
    }

    /** The client's response to a server's challenge. */
    byte[] respond(byte[] challenge) {
        return VtunAuth.respond(password, challenge);
    }

    /** What this server decides for the session (vtund's FLAGS, VTUN.md §2.2). */
    VtunFlags serverFlags() {
        VtunFlags.Compress compress = switch (legacy.compress().kind()) {
            case NO -> VtunFlags.Compress.NO;
            case LZO -> VtunFlags.Compress.LZO;
            case ZLIB -> VtunFlags.Compress.ZLIB;
        };
        return new VtunFlags(legacy.proto() == LegacyConfig.Proto.UDP,
                config.device().mode() == DeviceMode.TAP ? 'e' : 'u', compress, legacy.compress().level(),
                legacy.keepalive().isOn(), VtunCipher.valueOf(legacy.encrypt().name()), 0);
    }

    /** Authentication succeeded ({@code OK FLAGS} sent or received): the data phase on TCP, or the port exchange. */
    void authenticated(ChannelHandlerContext auth, VtunFlags flags, boolean asClient) {
        String problem = asClient ? refuseFlags(flags) : null;
        if (problem != null) {
            refusedBy(Addresses.format((InetSocketAddress) auth.channel().remoteAddress()), problem);
            auth.close();
            return;
        }
        if (flags.udp()) {
            auth.pipeline().addAfter(auth.name(), "vtun-ports", new LegacyAuth.PortExchange(this, flags, asClient));
            auth.pipeline().remove(auth.handler());
            return;
        }
        LegacySession.Link l = new LegacySession.Link(this, false, null);
        auth.pipeline().addAfter(auth.name(), "vtun-frames", new dev.culvert.protocol.vtun.VtunFrameDecoder());
        auth.pipeline().addLast("vtun-link", l);
        start(l, flags, (InetSocketAddress) auth.channel().remoteAddress());
        auth.pipeline().remove(auth.handler()); // bytes after the auth go on to the frame decoder
    }

    /** proto udp: the port exchange is done; the session runs on {@code udp}, frames to {@code remote}. */
    void startUdp(Channel udp, InetSocketAddress remote, VtunFlags flags, boolean asClient) {
        if (closing) {
            udp.close();
            return;
        }
        LegacySession.Link l = new LegacySession.Link(this, true, remote);
        udp.pipeline().addLast("vtun-frames", new LegacySession.DatagramFrames(this, l));
        udp.pipeline().addLast("vtun-link", l);
        start(l, flags, remote);
    }

    /** Why a client cannot take the server's FLAGS, or null. */
    private String refuseFlags(VtunFlags flags) {
        char want = config.device().mode() == DeviceMode.TAP ? 'e' : 'u';
        if (flags.type() != want) {
            return "decides type '" + typeName(flags.type()) + "' but this tunnel's device is "
                    + (want == 'e' ? "tap (type ether)" : "tun (type tun)") + "; set device.mode to match the server";
        }
        if (!flags.cipher().offered()) {
            return "decides encrypt " + flags.cipher().configName() + ", which Culvert does not speak (Debian's 64-bit "
                    + "vtund corrupts Blowfish CBC/CFB/OFB data); set the server's encrypt to an AES mode";
        }
        if (flags.udp() && flags.compress() == VtunFlags.Compress.ZLIB) {
            return "decides zlib over udp, which loses the stream at the first lost datagram";
        }
        return null;
    }

    private static String typeName(char type) {
        return switch (type) {
            case 'u' -> "tun";
            case 'e' -> "ether";
            case 'p' -> "pipe";
            default -> "tty";
        };
    }

    private void start(LegacySession.Link l, VtunFlags flags, InetSocketAddress peer) {
        LegacySession.Link old = link;
        if (old != null) {
            log(System.Logger.Level.INFO, "a new session replaces the one with " + Addresses.format(endpoint));
            link = null;
            old.close();
        }
        if (transforms != null) {
            transforms.close();
        }
        transforms = new VtunLink(flags, password, VtunFrames.FRAME_SIZE);
        link = l;
        endpoint = peer;
        idle = 0;
        lastRefusal = null;
        sessionStartMillis = System.currentTimeMillis();
        everUp = true;
        state = Peer.State.UP;
        if (client) {
            serverDecided = flags;
        }
        log(System.Logger.Level.INFO, "up (vtund peer at " + Addresses.format(peer) + ", FLAGS " + flags.format() + ": "
                + describe(flags) + ")");
        l.sendControl(VtunFrames.ECHO_REQ); // each side's first frame (linkfd.c), unless nat_hack on that side
        if (flags.keepalive()) {
            LegacyConfig.Keepalive k = legacy.keepalive().isOn() ? legacy.keepalive() : LegacyConfig.Keepalive.YES;
            long tick = k.interval().getSeconds() + 1; // vtund: interval + 1 s, to complete select() when idle
            int count = k.count();
            keepalive = loop.scheduleAtFixedRate(() -> keepaliveTick(l, count), tick, tick, TimeUnit.SECONDS);
        }
        device.config().setAutoRead(l.channel().isWritable());
    }

    /** vtund's keepalive (VTUN.md §2.5): idle past {@code count} ticks closes; from the second idle tick, ECHO_REQ. */
    private void keepaliveTick(LegacySession.Link l, int count) {
        if (l != link) {
            return;
        }
        if (idle > count) {
            log(System.Logger.Level.WARNING, "network timeout: nothing from the vtund peer for " + idle
                    + " keepalive ticks; closing the session");
            l.close();
            return;
        }
        if (idle++ > 0) {
            l.sendControl(VtunFrames.ECHO_REQ);
        }
    }

    /** Any frame from the peer: it is alive. */
    void heard(LegacySession.Link from) {
        if (from == link) {
            idle = 0;
        }
    }

    /** The session's channel closed (either side). */
    void sessionEnded(LegacySession.Link l) {
        if (l != link) {
            return;
        }
        link = null;
        if (keepalive != null) {
            keepalive.cancel(false);
            keepalive = null;
        }
        if (transforms != null) {
            transforms.close();
            transforms = null;
        }
        device.config().setAutoRead(true);
        if (closing) {
            return;
        }
        state = client ? Peer.State.CONNECTING : Peer.State.DOWN;
        log(System.Logger.Level.INFO, "session with " + Addresses.format(endpoint) + " ended"
                + (!client ? "; waiting for the vtund client"
                : config.persist() ? "; redialling in " + REDIAL_SECONDS + " s" : ""));
        if (client) {
            scheduleRedial();
        }
    }

    // ---- client ----

    private void dial() {
        if (closing || link != null || dialling != null) {
            return;
        }
        String host = config.peer().endpoint().get().host();
        int port = config.peer().endpoint().get().port();
        resolver.execute(() -> {
            InetAddress address;
            try {
                address = names.resolve(host);
            } catch (IOException e) {
                loop.execute(() -> {
                    refusedBy(host + ":" + port, "does not resolve (" + e.getMessage() + ")", System.Logger.Level.WARNING);
                    scheduleRedial();
                });
                return;
            }
            loop.execute(() -> connect(new InetSocketAddress(address, port)));
        });
    }

    private void connect(InetSocketAddress server) {
        if (closing || link != null || dialling != null) {
            return;
        }
        LegacyTunnel self = this;
        ChannelFuture f = new Bootstrap().group(loop).channel(EpollSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, LegacyAuth.TIMEOUT_SECONDS * 1000)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("vtun-auth", new LegacyAuth.Client(self, legacy.session()));
                    }
                }).connect(server);
        dialling = f.channel();
        f.addListener(done -> {
            if (!done.isSuccess()) {
                dialling = null;
                refusedBy(Addresses.format(server), "cannot be reached: " + done.cause().getMessage(),
                        System.Logger.Level.WARNING);
                scheduleRedial();
                return;
            }
            f.channel().closeFuture().addListener(closed -> {
                if (dialling == f.channel()) {
                    dialling = null;
                }
                if (link == null && !closing) {
                    scheduleRedial(); // closed before a session started (refused, timed out, UDP exchange failed)
                }
            });
        });
    }

    private void scheduleRedial() {
        if (closing || !client || stopped != null || (redial != null && !redial.isDone())) {
            return;
        }
        if (!config.persist()) {
            // vtund's persist no (client.c): the client exits when its connection ends, whether a session ran or not
            state = Peer.State.DOWN;
            stopped = (everUp ? "the session ended" : "no session with the vtund server")
                    + " and persist is off (vtund's persist no): not dialled again until a reload or restart";
            log(System.Logger.Level.WARNING, stopped);
            return;
        }
        state = Peer.State.CONNECTING;
        redial = loop.schedule(this::dial, REDIAL_SECONDS, TimeUnit.SECONDS);
    }

    /** A vtund server refused us or could not be used: ERROR the first time, DEBUG while it repeats. */
    void refusedBy(String server, String what) {
        refusedBy(server, what, System.Logger.Level.ERROR);
    }

    /**
     * As {@link #refusedBy(String, String)} at {@code level} the first time: WARNING for a server that cannot be reached
     * or resolved (it restarts, or the network is down: ordinary operation), ERROR for a refusal (a wrong password).
     */
    void refusedBy(String server, String what, System.Logger.Level level) {
        String line = "vtund server " + server + " " + what;
        boolean repeat = line.equals(lastRefusal);
        lastRefusal = line;
        log(repeat ? System.Logger.Level.DEBUG : level, line
                + (client && !closing ? "; trying again every " + REDIAL_SECONDS + " s" : ""));
    }

    void log(System.Logger.Level level, String message) {
        LOG.log(level, "tunnel " + config.name() + ": " + message);
    }

    // ---- view ----

    TunnelConfig config() {
        return config;
    }

    /** True for a server tunnel: a vtund client picks it by {@link LegacyConfig#session()}. */
    boolean isServer() {
        return !client;
    }

    String session() {
        return legacy.session();
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
    public Peer.State state() {
        return state;
    }

    @Override
    public InetSocketAddress endpoint() {
        return endpoint;
    }

    @Override
    public long lastHandshakeEpochMillis() {
        return sessionStartMillis;
    }

    @Override
    public boolean insecure() {
        return true;
    }

    @Override
    public String legacySession() {
        if (!client) {
            return "proto " + legacy.proto().name().toLowerCase(java.util.Locale.ROOT) + ", encrypt "
                    + legacy.encrypt().configName() + ", compress " + legacy.compress() + ", keepalive "
                    + legacy.keepalive() + " (this server decides)";
        }
        VtunFlags f = serverDecided;
        return f == null ? "decided by the vtund server when a session starts (none yet)"
                : describe(f) + " (the server's FLAGS " + f.format() + ")";
    }

    @Override
    public String legacyCompression() {
        if (!client) {
            return legacy.compress().kind() == LegacyConfig.Compress.Kind.NO ? "off" : legacy.compress().toString();
        }
        VtunFlags f = serverDecided;
        return f == null ? "decided by the server" : compressName(f);
    }

    /** The FLAGS in config words: {@code proto tcp, encrypt aes128cbc, compress lzo:9, keepalive yes}. */
    private static String describe(VtunFlags f) {
        String compress = compressName(f);
        return "proto " + (f.udp() ? "udp" : "tcp") + ", encrypt " + f.cipher().configName() + ", compress "
                + (compress.equals("off") ? "no" : compress) + ", keepalive " + (f.keepalive() ? "yes" : "no");
    }

    private static String compressName(VtunFlags f) {
        return switch (f.compress()) {
            case NO -> "off";
            case LZO -> "lzo:" + f.level();
            case ZLIB -> "zlib:" + f.level();
        };
    }

    @Override
    public String stateName() {
        return stopped != null ? "failed" : TunnelView.super.stateName();
    }

    @Override
    public String failure() {
        String s = stopped;
        return s != null ? s : reloadFailure;
    }

    /** Marks this instance as running its previous settings because the reloaded ones failed ({@code null}: cleared). */
    void reloadFailed(String reason) {
        reloadFailure = reason;
    }

    /** True for a persist-off client whose session ended: a reload starts it again. */
    boolean stopped() {
        return stopped != null;
    }

    /** True if {@code candidate} is the password this tunnel runs with (compared in constant time). */
    boolean samePassword(byte[] candidate) {
        return java.security.MessageDigest.isEqual(password, candidate);
    }

    /**
     * The settings that differ between {@code now} and {@code next}, two vtun-legacy tunnels' configurations, in
     * {@code culvert reload}'s words ({@code legacy.encrypt no -> aes128cbc}). Every change restarts a legacy tunnel:
     * vtund agrees a session's settings once, at its start (FLAGS), and has no way to change them in the session.
     */
    static java.util.List<String> restartReasons(TunnelConfig now, TunnelConfig next) {
        java.util.List<String> why = new java.util.ArrayList<>(Tunnel.restartReasons(now, next));
        if (now.peer().endpoint().isPresent() && next.peer().endpoint().isPresent()) {
            Tunnel.differs(why, "peer.endpoint", now.peer().endpoint().get(), next.peer().endpoint().get());
        }
        LegacyConfig a = now.legacy().orElseThrow();
        LegacyConfig b = next.legacy().orElseThrow();
        Tunnel.differs(why, "legacy.session", a.session(), b.session());
        Tunnel.differs(why, "legacy.password-file", a.passwordFile(), b.passwordFile());
        Tunnel.differs(why, "legacy.proto", a.proto().name().toLowerCase(java.util.Locale.ROOT),
                b.proto().name().toLowerCase(java.util.Locale.ROOT));
        Tunnel.differs(why, "legacy.encrypt", a.encrypt().configName(), b.encrypt().configName());
        Tunnel.differs(why, "legacy.compress", a.compress(), b.compress());
        Tunnel.differs(why, "legacy.keepalive", a.keepalive(), b.keepalive());
        Tunnel.differs(why, "persist", now.persist(), next.persist());
        if (!now.up().equals(next.up())) {
            why.add("up hooks (" + now.up().size() + " -> " + next.up().size() + " commands)");
        }
        if (!now.down().equals(next.down())) {
            why.add("down hooks (" + now.down().size() + " -> " + next.down().size() + " commands)");
        }
        Tunnel.differs(why, "hook-timeout", now.hookTimeout().getSeconds() + "s", next.hookTimeout().getSeconds() + "s");
        if (why.isEmpty() && !now.equals(next)) {
            why.add("a setting of the tunnel changed");
        }
        return why;
    }

    private Hooks.Values hookValues() {
        String peerHost = config.peer().endpoint().map(e -> e.host()).orElse("");
        String localAddress = config.device().address().map(a -> io.netty.util.NetUtil.toAddressString(a.address()))
                .orElse("");
        return new Hooks.Values(config.device().name(), config.name(), peerHost, localAddress);
    }

    /** Ends the session ({@code CONN_CLOSE} to the peer), runs the down hooks, closes the device. Idempotent. */
    @Override
    public void close() {
        closing = true;
        if (!loop.isShuttingDown()) {
            loop.submit(() -> {
                if (redial != null) {
                    redial.cancel(false);
                }
                if (dialling != null) {
                    dialling.close();
                }
                LegacySession.Link l = link;
                if (l != null) {
                    l.close();
                }
            }).awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        state = Peer.State.DOWN;
        synchronized (this) {
            if (hooksConfigured && !downHooksRan && !config.down().isEmpty()) {
                downHooksRan = true;
                try {
                    Hooks.run(config.name(), "down", config.down(), hookValues(), config.hookTimeout(), false);
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, e.getMessage());
                }
            }
        }
        if (config.device().existing() && !added.isEmpty()) {
            links.remove(added).forEach(f -> log(System.Logger.Level.WARNING, f));
        }
        if (device.isRegistered()) {
            device.close().awaitUninterruptibly();
        } else {
            device.unsafe().closeForcibly();
        }
        Secrets.wipe(password);
    }
}
