package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.ExecResult;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.harness.Workspace;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.DaemonConfig;
import dev.culvert.it.node.Daemons;
import dev.culvert.it.node.TunnelBlock;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Reload without drops (issue 4, item 5) and the sd_notify conversation (item 2), with a real daemon
 * process: a continuous ping through an untouched tunnel loses nothing while SIGHUP restarts a changed
 * tunnel and starts a new one; an invalid file keeps the running configuration; a real NOTIFY_SOCKET
 * listener hears READY=1, WATCHDOG=1, RELOADING=1, READY=1 and STOPPING=1 in that order. And
 * {@code culvert reload} (issue 11): its printed outcome and exit status for an applied, a refused and a partly
 * applied reload, where an up hook that fails keeps the tunnel's previous instance passing traffic and a new
 * tunnel shows as failed.
 */
@RequiresNetns(tools = {"ping"})
class ReloadIT {
    private static final String DEVICE_1 = "cv0";
    private static final String DEVICE_2 = "cv2";
    private static final String DEVICE_3 = "cv3";
    private static final int PINGS = 100;

    @Test
    void reloadAppliesADiffWithoutDroppingTheUntouchedTunnelAndTalksToSystemd() throws Exception {
        CulvertDistribution culvert = CulvertDistribution.locate();
        Path notifySocket = Workspace.newDir("notify").resolve("notify.sock");
        List<String> notifications = new CopyOnWriteArrayList<>();
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "site-a");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "site-b");
             CulvertNode ghost = new CulvertNode(culvert, sites.b(), "ghost")) {
            Channel listener = listen(group, notifySocket, notifications);
            // b answers on t1; t2 and t3 point at a peer that never answers (their devices still come and go).
            Daemons.start(b, DaemonConfig.of(b).listenUdp(TwoSites.LISTEN_B)
                    .tunnel(TunnelBlock.tun("t1", DEVICE_1, TwoSites.TUNNEL_B, a.publicKey(), TwoSites.TUNNEL_IP_A + "/32")),
                    List.of(DEVICE_1));
            Path config = a.writeConfig(siteA(a, b, ghost, false).render());
            BackgroundProcess daemon = sites.a().spawn("culvert-site-a",
                    Map.of("NOTIFY_SOCKET", notifySocket.toString(), "WATCHDOG_USEC", "1000000"),
                    culvert.command("run", "--config", config.toString()));
            Daemons.awaitDevices(sites.a(), daemon, List.of(DEVICE_1, DEVICE_2));
            await().atMost(Duration.ofSeconds(30)).until(() -> sites.a()
                    .exec("ping", "-c", "1", "-W", "1", TwoSites.TUNNEL_IP_B).exitCode() == 0);
            await().atMost(Duration.ofSeconds(10)).until(() -> notifications.contains("WATCHDOG=1"));

            BackgroundProcess ping = sites.a().spawn("ping", "ping", "-i", "0.05", "-c", String.valueOf(PINGS),
                    TwoSites.TUNNEL_IP_B);
            await().atMost(Duration.ofSeconds(5)).until(() -> ping.stdout().contains("icmp_seq=10 "));
            a.writeConfig(siteA(a, b, ghost, true).render());
            daemon.signal("HUP");
            Daemons.awaitLog(daemon, "reloaded: 1 unchanged, 0 changed in place, 1 restarted, 1 added, 0 removed", Duration.ofSeconds(20));
            Daemons.awaitDevices(sites.a(), daemon, List.of(DEVICE_1, DEVICE_2, DEVICE_3));
            assertThat(daemon.stderr()).contains("reload: tunnel t2 restarts: device.mtu 1420 -> 1380");
            assertThat(ping.awaitExit(Duration.ofSeconds(30))).as("ping exit code; output:\n" + ping.stdout()).isZero();
            assertThat(ping.stdout()).contains(PINGS + " packets transmitted, " + PINGS + " received, 0% packet loss");

            // An invalid file: every problem logged, the running configuration stays.
            Files.writeString(config, "culvert { private-key-file = \"" + a.privateKeyFile()
                    + "\"\n tunnels { t1 { device { mut = 1400 } } } }\n");
            daemon.signal("HUP");
            Daemons.awaitLog(daemon, "reload refused", Duration.ofSeconds(20));
            assertThat(daemon.stderr()).contains("unknown key 'mut'; did you mean 'mtu'?");
            Daemons.requireAlive(daemon);
            assertThat(sites.a().exec("ping", "-c", "3", "-i", "0.2", "-W", "1", TwoSites.TUNNEL_IP_B).exitCode()).isZero();
            assertThat(sites.a().hasLink(DEVICE_3)).isTrue();

            daemon.signal("TERM");
            assertThat(daemon.awaitExit(Duration.ofSeconds(15))).isZero();
            await().atMost(Duration.ofSeconds(5)).until(() -> notifications.contains("STOPPING=1"));
            List<String> order = new ArrayList<>();
            for (String n : notifications) {
                if (n.equals("READY=1") || n.equals("RELOADING=1") || n.equals("STOPPING=1")
                        || (n.equals("WATCHDOG=1") && !order.contains("WATCHDOG=1"))) {
                    order.add(n);
                }
            }
            // two reloads (one applied, one refused): each RELOADING=1 is followed by READY=1
            assertThat(order).containsExactly("READY=1", "WATCHDOG=1", "RELOADING=1", "READY=1", "RELOADING=1",
                    "READY=1", "STOPPING=1");
            assertThat(String.join("\n", notifications)).contains("STATUS=").contains("MONOTONIC_USEC=");
            listener.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void culvertReloadPrintsTheOutcomeAndFailsWhenRefusedOrATunnelCannotStart() throws Exception {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "site-a");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "site-b");
             CulvertNode ghost = new CulvertNode(culvert, sites.b(), "ghost")) {
            Daemons.start(b, DaemonConfig.of(b).listenUdp(TwoSites.LISTEN_B)
                    .tunnel(TunnelBlock.tun("t1", DEVICE_1, TwoSites.TUNNEL_B, a.publicKey(), TwoSites.TUNNEL_IP_A + "/32")),
                    List.of(DEVICE_1));
            TunnelBlock t1 = TunnelBlock.tun("t1", DEVICE_1, TwoSites.TUNNEL_A, b.publicKey(), TwoSites.TUNNEL_IP_B + "/32")
                    .withEndpoint(TwoSites.LISTEN_B);
            TunnelBlock t2 = TunnelBlock.tun("t2", DEVICE_2, "198.18.1.1/30", ghost.publicKey(), "198.18.1.2/32")
                    .withEndpoint(TwoSites.UNDERLAY_B + ":51999");
            TunnelBlock t3 = TunnelBlock.tun("t3", DEVICE_3, "198.18.2.1/30", THIRD_PEER, "198.18.2.2/32")
                    .withEndpoint(TwoSites.UNDERLAY_B + ":51998");
            Path config = a.writeConfig(DaemonConfig.of(a).tunnel(t1).render());
            BackgroundProcess daemon = sites.a().spawn("culvert-site-a", Map.of(),
                    culvert.command("run", "--config", config.toString()));
            Daemons.awaitDevices(sites.a(), daemon, List.of(DEVICE_1));
            awaitPing(sites);
            String socket = a.dir().resolve(DaemonConfig.CONTROL_SOCKET).toString();

            // Applied: exit 0, tunnel by tunnel.
            a.writeConfig(DaemonConfig.of(a).tunnel(t1).tunnel(t2).render());
            ExecResult applied = culvert.run(null, "reload", "--socket", socket);
            assertThat(applied.exitCode()).as(applied.describe()).isZero();
            assertThat(applied.stdout()).contains("culvert reload: applied\n  t1: unchanged\n  t2: added\n");
            assertThat(sites.a().hasLink(DEVICE_2)).isTrue();

            // Refused: exit 3, every problem with its file and line, the running configuration stays.
            Files.writeString(config, "culvert { private-key-file = \"" + a.privateKeyFile()
                    + "\"\n tunnels { t1 { device { mut = 1400 } } } }\n");
            ExecResult refused = culvert.run(null, "reload", "--socket", socket);
            assertThat(refused.exitCode()).as(refused.describe()).isEqualTo(3);
            assertThat(refused.stderr()).contains(config + ":2: ").contains("unknown key 'mut'; did you mean 'mtu'?")
                    .contains("culvert reload: refused; the running configuration stays");
            Daemons.requireAlive(daemon);
            assertThat(sites.a().exec("ping", "-c", "3", "-i", "0.2", "-W", "1", TwoSites.TUNNEL_IP_B).exitCode()).isZero();
            assertThat(sites.a().hasLink(DEVICE_2)).isTrue();

            // t1 changed (its MTU: a restart) with an up hook that fails, t3 new with the same: exit 4; t1 runs on its previous
            // settings and still carries the ping, t3 shows failed with its next retry.
            a.writeConfig(DaemonConfig.of(a).tunnel(t1.withMtu(1400).withUp("false")).tunnel(t2)
                    .tunnel(t3.withUp("false")).render());
            ExecResult partly = culvert.run(null, "reload", "--socket", socket);
            assertThat(partly.exitCode()).as(partly.describe()).isEqualTo(4);
            assertThat(partly.stdout()).contains("culvert reload: partly applied\n")
                    .containsPattern("  t1: new settings failed \\(device.mtu \\d+ -> 1400\\): .*; previous settings restored \\(device re-created\\)\n")
                    .contains("  t2: unchanged\n")
                    .containsPattern("  t3: failed: .*; next retry in \\d+ s\n");
            Daemons.requireAlive(daemon);
            awaitPing(sites);
            ExecResult show = culvert.run(null, "show", "--socket", socket);
            assertThat(show.stdout()).contains("tunnel: t3\n  state: failed\n  failed: ")
                    .contains("tunnel: t1\n  state: up\n  reload failed (previous settings restored; device re-created): ")
                    .doesNotContain("persistent keepalive");
            assertThat(sites.a().hasLink(DEVICE_3)).isFalse();

            // SIGHUP keeps working, with the same outcome in the log.
            daemon.signal("HUP");
            Daemons.awaitLog(daemon, "failed to start: t1 (kept old), t3 (failed)", Duration.ofSeconds(20));

            daemon.signal("TERM");
            assertThat(daemon.awaitExit(Duration.ofSeconds(15))).isZero();
        }
    }

    private static void awaitPing(TwoSites sites) {
        await().atMost(Duration.ofSeconds(30)).until(() -> sites.a()
                .exec("ping", "-c", "1", "-W", "1", TwoSites.TUNNEL_IP_B).exitCode() == 0);
    }

    private static DaemonConfig siteA(CulvertNode a, CulvertNode b, CulvertNode ghost, boolean reloaded) {
        DaemonConfig config = DaemonConfig.of(a)
                .tunnel(TunnelBlock.tun("t1", DEVICE_1, TwoSites.TUNNEL_A, b.publicKey(), TwoSites.TUNNEL_IP_B + "/32")
                        .withEndpoint(TwoSites.LISTEN_B))
                .tunnel(TunnelBlock.tun("t2", DEVICE_2, "198.18.1.1/30", ghost.publicKey(), "198.18.1.2/32")
                        .withEndpoint(TwoSites.UNDERLAY_B + ":51999").withMtu(reloaded ? 1380 : 1420)); // a device change
        if (reloaded) {
            config.tunnel(TunnelBlock.tun("t3", DEVICE_3, "198.18.2.1/30", THIRD_PEER, "198.18.2.2/32")
                    .withEndpoint(TwoSites.UNDERLAY_B + ":51998"));
        }
        return config;
    }

    /** A peer key of its own for t3 (peer keys must be unique per daemon). */
    private static final String THIRD_PEER = CulvertDistribution.locate().pubkey(CulvertDistribution.locate().genkey());

    private static Channel listen(MultiThreadIoEventLoopGroup group, Path path, List<String> sink) throws InterruptedException {
        return new Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket msg) {
                        for (String line : msg.content().toString(StandardCharsets.UTF_8).split("\n")) {
                            if (!line.isBlank()) {
                                sink.add(line.strip());
                            }
                        }
                    }
                })
                .bind(new DomainSocketAddress(path.toFile())).sync().channel();
    }
}
