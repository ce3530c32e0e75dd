package dev.culvert.daemon.systemd;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.ScheduledFuture;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's side of systemd's notification protocol (sd_notify(3)), spoken directly: one datagram
 * per state change to the unix socket named by {@code $NOTIFY_SOCKET} (a leading {@code @} names an
 * abstract socket), from an epoll domain datagram channel on the daemon's event loop.
 *
 * <p>The watchdog ping is scheduled on that same loop, every {@code $WATCHDOG_USEC / 2}, so a loop that
 * is stuck stops pinging and systemd restarts the service. Without {@code $NOTIFY_SOCKET} (not started
 * by systemd with {@code Type=notify}) every method does nothing.
 */
public final class SdNotify implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("culvert.systemd");
    static final String NOTIFY_SOCKET = "NOTIFY_SOCKET";
    static final String WATCHDOG_USEC = "WATCHDOG_USEC";
    static final String WATCHDOG_PID = "WATCHDOG_PID";
    /** How long {@link #stopping()} waits for its datagram to leave. */
    private static final long SEND_TIMEOUT_MILLIS = 1000;

    private final EventLoop loop;
    private final Channel channel;
    private final DomainSocketAddress target;
    private final Duration watchdogInterval;
    private ScheduledFuture<?> watchdog;
    private volatile String lastStatus;

    private SdNotify(EventLoop loop, Channel channel, DomainSocketAddress target, Duration watchdogInterval) {
        this.loop = loop;
        this.channel = channel;
        this.target = target;
        this.watchdogInterval = watchdogInterval;
    }

    /** A notifier that does nothing (no {@code $NOTIFY_SOCKET}). */
    public static SdNotify disabled() {
        return new SdNotify(null, null, null, null);
    }

    /** From the process environment; {@link #disabled()} when not run under systemd's notify protocol. */
    public static SdNotify fromEnvironment(EventLoop loop) {
        return fromEnvironment(loop, System.getenv(), ProcessHandle.current().pid());
    }

    static SdNotify fromEnvironment(EventLoop loop, Map<String, String> env, long pid) {
        String socket = env.get(NOTIFY_SOCKET);
        if (socket == null || socket.isEmpty()) {
            return disabled();
        }
        return open(loop, socket, watchdogInterval(env, pid));
    }

    /**
     * The watchdog ping interval: half of {@code $WATCHDOG_USEC}, if it is set and {@code $WATCHDOG_PID}
     * is unset or names this process; else null (no pings).
     */
    static Duration watchdogInterval(Map<String, String> env, long pid) {
        String usec = env.get(WATCHDOG_USEC);
        String forPid = env.get(WATCHDOG_PID);
        if (usec == null || usec.isBlank() || (forPid != null && !forPid.isBlank() && !forPid.strip().equals(Long.toString(pid)))) {
            return null;
        }
        try {
            long micros = Long.parseLong(usec.strip());
            return micros > 0 ? Duration.ofNanos(micros * 1000 / 2) : null;
        } catch (NumberFormatException e) {
            LOG.log(System.Logger.Level.WARNING, "ignoring {0}={1}: not a number of microseconds", WATCHDOG_USEC, usec);
            return null;
        }
    }

    /**
     * Opens a notifier to {@code socket} ({@code /run/...} or {@code @abstract}) on {@code loop}.
     *
     * @param watchdogInterval how often to ping once {@link #ready} was sent; null for never
     */
    public static SdNotify open(EventLoop loop, String socket, Duration watchdogInterval) {
        String path = socket.startsWith("@") ? "\0" + socket.substring(1) : socket;
        DomainSocketAddress target = new DomainSocketAddress(path);
        // Connected (an unbound datagram channel is not active in Netty): each write is one datagram to systemd.
        ChannelFuture connected = new Bootstrap().group(loop).channel(EpollDomainDatagramChannel.class)
                .handler(new ChannelInboundHandlerAdapter()).connect(target).awaitUninterruptibly();
        if (!connected.isSuccess()) {
            LOG.log(System.Logger.Level.WARNING, "cannot talk to systemd on {0}: {1}; not notifying", socket,
                    String.valueOf(connected.cause()));
            connected.channel().close();
            return disabled();
        }
        return new SdNotify(loop, connected.channel(), target, watchdogInterval);
    }

    /** READY=1 with a status line; starts the watchdog pings (once). */
    public synchronized void ready(String status) {
        send("READY=1\nSTATUS=" + status);
        lastStatus = status;
        if (channel != null && watchdogInterval != null && watchdog == null) {
            long nanos = watchdogInterval.toNanos();
            watchdog = loop.scheduleAtFixedRate(() -> send("WATCHDOG=1"), nanos, nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** STATUS=..., sent only when it differs from the last one. */
    public void status(String status) {
        if (!status.equals(lastStatus)) {
            lastStatus = status;
            send("STATUS=" + status);
        }
    }

    /**
     * RELOADING=1 with the monotonic time systemd requires. Java's {@link System#nanoTime} is
     * CLOCK_MONOTONIC on Linux.
     */
    public void reloading() {
        send("RELOADING=1\nMONOTONIC_USEC=" + System.nanoTime() / 1000 + "\nSTATUS=reloading");
        lastStatus = "reloading";
    }

    /** STOPPING=1, waiting briefly for the datagram to leave; stops the watchdog pings. */
    public synchronized void stopping() {
        if (channel == null) {
            return;
        }
        if (watchdog != null) {
            watchdog.cancel(false);
        }
        send("STOPPING=1\nSTATUS=stopping").awaitUninterruptibly(SEND_TIMEOUT_MILLIS);
    }

    private io.netty.util.concurrent.Future<?> send(String message) {
        if (channel == null) {
            return io.netty.util.concurrent.ImmediateEventExecutor.INSTANCE.newSucceededFuture(null);
        }
        ChannelFuture sent = channel.writeAndFlush(Unpooled.copiedBuffer(message, StandardCharsets.UTF_8));
        sent.addListener(f -> {
            if (!f.isSuccess()) {
                LOG.log(System.Logger.Level.WARNING, "sd_notify to {0} failed: {1}", printable(target), f.cause());
            }
        });
        return sent;
    }

    private static String printable(DomainSocketAddress address) {
        String path = address.path();
        return path.startsWith("\0") ? "@" + path.substring(1) : path;
    }

    /** True when talking to systemd. */
    public boolean enabled() {
        return channel != null;
    }

    @Override
    public synchronized void close() {
        if (watchdog != null) {
            watchdog.cancel(false);
        }
        if (channel != null) {
            channel.close().awaitUninterruptibly(SEND_TIMEOUT_MILLIS);
        }
    }
}
