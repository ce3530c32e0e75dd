package dev.culvert.daemon.systemd;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sd_notify over a real unix datagram socket: READY, WATCHDOG, RELOADING, READY, STOPPING in order. */
class SdNotifyTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final EventLoop loop = group.next();

    @TempDir
    Path dir;

    @AfterEach
    void shutdown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void theLifecycleArrivesInOrderWithWatchdogPings() throws Exception {
        String path = dir.resolve("notify").toString();
        try (NotifyListener systemd = new NotifyListener(group, path);
             SdNotify notify = SdNotify.fromEnvironment(loop,
                     Map.of("NOTIFY_SOCKET", path, "WATCHDOG_USEC", "100000"), 42)) {
            assertThat(notify.enabled()).isTrue();
            notify.ready("1/1 tunnels up");
            assertThat(systemd.next(WAIT)).isEqualTo("READY=1\nSTATUS=1/1 tunnels up");
            assertThat(systemd.next(WAIT)).isEqualTo("WATCHDOG=1");
            assertThat(systemd.next(WAIT)).isEqualTo("WATCHDOG=1");

            notify.status("1/1 tunnels up");
            notify.status("0/1 tunnels up");
            assertThat(systemd.nextNotWatchdog(WAIT)).isEqualTo("STATUS=0/1 tunnels up");

            long before = System.nanoTime() / 1000;
            notify.reloading();
            String reloading = systemd.nextNotWatchdog(WAIT);
            assertThat(reloading).startsWith("RELOADING=1\nMONOTONIC_USEC=");
            long monotonic = Long.parseLong(reloading.lines().filter(l -> l.startsWith("MONOTONIC_USEC="))
                    .findFirst().orElseThrow().substring("MONOTONIC_USEC=".length()));
            assertThat(monotonic).isBetween(before, System.nanoTime() / 1000);
            notify.ready("2/2 tunnels up");
            assertThat(systemd.nextNotWatchdog(WAIT)).isEqualTo("READY=1\nSTATUS=2/2 tunnels up");

            notify.stopping();
            assertThat(systemd.nextNotWatchdog(WAIT)).isEqualTo("STOPPING=1\nSTATUS=stopping");
        }
    }

    @Test
    void anAbstractSocketNameStartsWithAt() throws Exception {
        String name = "culvert-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (NotifyListener systemd = new NotifyListener(group, "\0" + name);
             SdNotify notify = SdNotify.fromEnvironment(loop, Map.of("NOTIFY_SOCKET", "@" + name), 42)) {
            notify.ready("up");
            assertThat(systemd.next(WAIT)).isEqualTo("READY=1\nSTATUS=up");
        }
    }

    @Test
    void withoutNotifySocketNothingHappens() {
        SdNotify notify = SdNotify.fromEnvironment(loop, Map.of(), 42);
        assertThat(notify.enabled()).isFalse();
        notify.ready("up");
        notify.reloading();
        notify.stopping();
        notify.close();
    }

    @Test
    void watchdogOnlyForThisPid() {
        assertThat(SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "30000000"), 42)).isEqualTo(Duration.ofSeconds(15));
        assertThat(SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "42"), 42))
                .isEqualTo(Duration.ofSeconds(15));
        assertThat(SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "7"), 42)).isNull();
        assertThat(SdNotify.watchdogInterval(Map.of(), 42)).isNull();
        assertThat(SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "soon"), 42)).isNull();
    }
}
