package dev.culvert.it.pkg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.ExecResult;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.RequiresNetns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 11: the package as a new operator meets it — two minimal Debian 12 sites booted with systemd as PID 1
 * ({@link BootedContainer}: {@code systemd-nspawn -b} on the tree {@code bookworm-rootfs.sh --sites} builds, which
 * holds the package's dependencies and systemd and nothing else: no procps, no ping), each in a network namespace
 * of the test's, joined by a veth pair (192.0.2.1/24 -- 192.0.2.2/24). In both: the fresh {@code .deb} installed
 * with {@code apt-get install ./culvert.deb} (no network), then the README's "Install as a Debian service" steps
 * (key with install -o culvert -m 0600 and genkey, config root:culvert 0640, check-config --user culvert,
 * systemctl enable --now). Then:
 * <ul>
 *   <li>both instances active (running), i.e. READY=1 arrived (Type=notify), with a STATUS= line;</li>
 *   <li>a ping through the tunnel (198.18.0.1 -- 198.18.0.2; the host's ping run in the site's namespace);</li>
 *   <li>a second instance on site A restarted and stopped while the first's {@code culvert show} keeps answering
 *       (per-instance runtime directories); a third on the first's metrics port fails once with 78, naming
 *       the port and what holds it;</li>
 *   <li>an instance whose key user culvert cannot read: failed once (status 78, no restart), the journal names
 *       the fix (chown);</li>
 *   <li>{@code systemctl stop} removes the device; purge (after the operator removed keys and configs, as the
 *       README says) leaves nothing: no user, no files, no units, no /run/culvert.</li>
 * </ul>
 *
 * <p>Root; needs systemd-nspawn (Debian: systemd-container), nsenter, debootstrap for the first run (~2 min, then
 * cached). Time warm: ~1.5-2 min on 2 cores.
 */
@RequiresNetns(tools = {"nsenter", "systemd-nspawn"})
class SystemdSitesIT {

    private static final String DEB_INSIDE = "/root/culvert.deb";
    private static final String UNDERLAY_A = "192.0.2.1";
    private static final String UNDERLAY_B = "192.0.2.2";
    private static final String TUNNEL_A = "198.18.0.1";
    private static final String TUNNEL_B = "198.18.0.2";
    private static final Duration START = Duration.ofSeconds(60);

    @BeforeAll
    static void prerequisites() {
        PackageTools.require(true, "debootstrap", "systemd-nspawn", "nsenter", "mount", "flock", "ping");
    }

    @Test
    void twoSitesUnderSystemdFromInstallToPurge() throws IOException {
        Path deb = DebPackage.locate();
        Path cache = BootedContainer.cache();
        try (Netns netA = Netns.create("sda");
             Netns netB = Netns.create("sdb")) {
            netA.veth(netB, UNDERLAY_A + "/24", UNDERLAY_B + "/24");
            try (BootedContainer a = BootedContainer.boot("site-a", cache, netA);
                 BootedContainer b = BootedContainer.boot("site-b", cache, netB)) {
                install(a, deb);
                install(b, deb);
                assertThat(a.must("culvert --version").stdout()).as("the build's version, not a development build")
                        .matches("(?s)culvert \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(git [0-9a-f]{12}(-dirty)?\\)\n.*");

                // README, "Install as a Debian service": keys, configs, check, enable --now.
                String keyA = newKey(a, "site-a.key");
                String keyB = newKey(b, "site-b.key");
                writeConfig(a, "to-b", site("site-a.key", UNDERLAY_A, "cv-b", TUNNEL_A, keyB, UNDERLAY_B, TUNNEL_B, 9586));
                writeConfig(b, "to-a", site("site-b.key", UNDERLAY_B, "cv-a", TUNNEL_B, keyA, UNDERLAY_A, TUNNEL_A, 9586));
                systemctl(a, "enable --now", "culvert@to-b");
                systemctl(b, "enable --now", "culvert@to-a");

                assertRunning(a, "culvert@to-b.service");
                assertRunning(b, "culvert@to-a.service");
                ExecResult ping = netA.exec(Duration.ofSeconds(60), "ping", "-c", "3", "-i", "0.5", "-W", "5", TUNNEL_B);
                assertThat(ping.exitCode()).as("ping through the tunnel: %s", ping.describe()).isZero();
                assertThat(a.must("culvert show --config /etc/culvert/to-b.conf").stdout()).contains("latest handshake");

                // systemctl reload runs `culvert reload` (nothing of procps in this tree): a valid change (the
                // keepalive) is applied in place, the device kept (same ifindex), no ping lost.
                String siteA = site("site-a.key", UNDERLAY_A, "cv-b", TUNNEL_A, keyB, UNDERLAY_B, TUNNEL_B, 9586);
                String ifindex = ifindex(netA, "cv-b");
                java.util.concurrent.CompletableFuture<ExecResult> pings = java.util.concurrent.CompletableFuture
                        .supplyAsync(() -> netA.exec(Duration.ofSeconds(60), "ping", "-c", "20", "-i", "0.2", "-W", "2",
                                TUNNEL_B));
                writeConfig(a, "to-b", siteA.replace("persistent = 5s", "persistent = 10s"));
                systemctl(a, "reload", "culvert@to-b");
                ExecResult during = pings.join();
                assertThat(during.stdout()).as("pings across the reload: %s", during.describe())
                        .contains(" 0% packet loss");
                assertThat(ifindex(netA, "cv-b")).as("the device kept")
                        .isEqualTo(ifindex);
                assertThat(a.must("journalctl --no-pager -o cat -u culvert@to-b").stdout())
                        .contains("reloaded in place");

                // An invalid file: systemctl reload fails, the old config still serves.
                Files.writeString(a.path("/etc/culvert/to-b.conf"), siteA.replace("metrics.bind", "metrics.bnid"));
                ExecResult refused = a.sh("systemctl reload culvert@to-b");
                assertThat(refused.exitCode()).as("systemctl reload of an invalid file: %s", refused.describe())
                        .isNotZero();
                assertThat(a.unitProperty("culvert@to-b.service", "ActiveState")).isEqualTo("active");
                ExecResult after = netA.exec(Duration.ofSeconds(30), "ping", "-c", "3", "-i", "0.3", "-W", "2", TUNNEL_B);
                assertThat(after.exitCode()).as("ping after the refused reload: %s", after.describe()).isZero();
                writeConfig(a, "to-b", siteA);

                instancesSideBySide(a, keyB);
                unreadableKeyFailsOnce(a, keyB);

                // systemctl stop removes the device.
                assertThat(netB.hasLink("cv-a")).isTrue();
                b.must("systemctl stop culvert@to-a");
                assertThat(netB.hasLink("cv-a")).as("cv-a after systemctl stop").isFalse();
                assertThat(b.unitProperty("culvert@to-a.service", "ActiveState")).isEqualTo("inactive");

                purgeLeavesNothing(a, netA);
            }
        }
    }

    /** The interface index of {@code device} in {@code netns}, from {@code ip -o link show}. */
    private static String ifindex(Netns netns, String device) {
        ExecResult link = netns.exec(Duration.ofSeconds(10), "ip", "-o", "link", "show", device);
        assertThat(link.exitCode()).as(link.describe()).isZero();
        return link.stdout().substring(0, link.stdout().indexOf(':'));
    }

    /** A second instance restarted and stopped while the first's `culvert show` keeps answering. */
    private void instancesSideBySide(BootedContainer a, String peerKey) {
        writeConfig(a, "spare", """
                culvert {
                  private-key-file = /etc/culvert/site-a.key
                  listen.udp = "192.0.2.1:51821"
                  metrics.bind = "127.0.0.1:9587"
                  tunnels.spare {
                    device { name = cv-spare, address = "198.18.1.1/30" }
                    peer { public-key = "%s", allowed-ips = ["198.18.1.2/32"] }
                  }
                }
                """.formatted(peerKey));
        systemctl(a, "start", "culvert@spare");
        assertRunning(a, "culvert@spare.service");
        assertThat(exists(a, "/run/culvert/to-b/control.sock")).isTrue();
        assertThat(exists(a, "/run/culvert/spare/control.sock")).isTrue();
        ExecResult several = a.sh("culvert show");
        assertThat(several.exitCode()).isNotZero();
        assertThat(several.stderr()).contains("spare/control.sock", "to-b/control.sock");

        String mainPid = a.unitProperty("culvert@spare.service", "MainPID");
        systemctl(a, "restart", "culvert@spare");
        assertThat(a.unitProperty("culvert@spare.service", "MainPID")).isNotEqualTo(mainPid);
        assertThat(a.must("culvert show --config /etc/culvert/to-b.conf").stdout()).as("to-b's show after the "
                + "restart of spare").contains("tunnel: site-b");
        assertRunning(a, "culvert@spare.service");
        a.must("systemctl stop culvert@spare");
        assertThat(exists(a, "/run/culvert/spare")).as("spare's runtime directory after its stop").isFalse();
        assertThat(exists(a, "/run/culvert/to-b/control.sock")).as("to-b's socket after spare's stop").isTrue();
        assertThat(a.must("culvert show").stdout()).as("the only socket left is found").contains("tunnel: site-b");

        // A third instance left on to-b's metrics port: fails once, naming the port and its holder.
        writeConfig(a, "clash", """
                culvert {
                  private-key-file = /etc/culvert/site-a.key
                  listen.udp = "192.0.2.1:51822"
                  tunnels.clash {
                    device { name = cv-clash, address = "198.18.2.1/30" }
                    peer { public-key = "%s", allowed-ips = ["198.18.2.2/32"] }
                  }
                }
                """.formatted(peerKey));
        assertFailsOnce(a, "culvert@clash.service", "127.0.0.1:9586", "held by another culvert daemon's metrics");
        assertThat(a.sh("ip link show cv-clash").exitCode()).as("no device made before the metrics port").isNotZero();
        a.must("rm /etc/culvert/clash.conf /etc/culvert/spare.conf && systemctl reset-failed");
    }

    /** A key user culvert cannot read: check-config --user says so as root, the unit fails once naming the fix. */
    private void unreadableKeyFailsOnce(BootedContainer a, String peerKey) {
        a.must("umask 077 && culvert genkey > /etc/culvert/root-owned.key");
        writeConfig(a, "badkey", """
                culvert {
                  private-key-file = /etc/culvert/root-owned.key
                  listen.udp = "192.0.2.1:51823"
                  metrics.bind = off
                  tunnels.badkey {
                    device { name = cv-badkey, address = "198.18.3.1/30" }
                    peer { public-key = "%s", allowed-ips = ["198.18.3.2/32"] }
                  }
                }
                """.formatted(peerKey));
        assertThat(a.sh("culvert check-config /etc/culvert/badkey.conf").exitCode()).as("root reads everything")
                .isZero();
        ExecResult asCulvert = a.sh("culvert check-config --user culvert /etc/culvert/badkey.conf");
        assertThat(asCulvert.exitCode()).isEqualTo(78);
        assertThat(asCulvert.stderr()).contains("user culvert cannot read key file /etc/culvert/root-owned.key",
                "chown culvert:culvert /etc/culvert/root-owned.key");
        assertFailsOnce(a, "culvert@badkey.service", "chown culvert:culvert /etc/culvert/root-owned.key");
        a.must("rm /etc/culvert/badkey.conf /etc/culvert/root-owned.key && systemctl reset-failed");
    }

    /** Started, the unit fails with 78 and is not restarted (over twice RestartSec), its journal saying {@code says}. */
    private static void assertFailsOnce(BootedContainer c, String unit, String... says) {
        ExecResult start = c.sh("systemctl start " + unit);
        assertThat(start.exitCode()).as("systemctl start %s", unit).isNotZero();
        await(unit + " failed").atMost(START).pollInterval(Duration.ofMillis(250))
                .until(() -> c.unitProperty(unit, "ActiveState").equals("failed"));
        assertThat(c.unitProperty(unit, "ExecMainStatus")).isEqualTo("78");
        // RestartSec=5s: a restart would have happened within this window.
        await(unit + " stays failed, no restart").during(Duration.ofSeconds(12)).atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> c.unitProperty(unit, "NRestarts").equals("0")
                        && c.unitProperty(unit, "ActiveState").equals("failed"));
        String journal = c.must("journalctl --no-pager -o cat -u " + unit).stdout();
        assertThat(journal).contains(says);
    }

    private void purgeLeavesNothing(BootedContainer a, Netns netA) {
        // README, "Removing": the operator's keys and configs go first, then purge removes the rest.
        a.must("systemctl disable --now culvert@to-b");
        assertThat(netA.hasLink("cv-b")).isFalse();
        a.must("rm -f /etc/culvert/*.key /etc/culvert/*.conf");
        a.must("apt-get purge -y -q culvert");
        assertThat(a.sh("dpkg -s culvert").exitCode()).as("dpkg -s culvert after purge").isNotZero();
        assertThat(a.sh("getent passwd culvert").exitCode()).as("user culvert").isNotZero();
        assertThat(a.sh("getent group culvert").exitCode()).as("group culvert").isNotZero();
        for (String path : new String[] {"/etc/culvert", "/usr/share/culvert", "/usr/bin/culvert",
                "/lib/systemd/system/culvert@.service", "/run/culvert", "/usr/share/doc/culvert",
                "/etc/systemd/system/multi-user.target.wants/culvert@to-b.service"}) {
            assertThat(exists(a, path)).as("%s after purge", path).isFalse();
        }
        assertThat(a.must("systemctl list-units --all --no-legend 'culvert*'").stdout().strip()).isEmpty();
        assertThat(a.sh("ip -br link").stdout()).doesNotContain("cv-");
    }

    /** Whether {@code path} exists inside the container (a link counts, even a dangling one). */
    private static boolean exists(BootedContainer c, String path) {
        return c.sh("test -e " + path + " || test -L " + path).ok();
    }

    /** {@code systemctl VERB UNIT}, required to succeed; the unit's journal is in the message if not. */
    private static void systemctl(BootedContainer c, String verb, String unit) {
        ExecResult result = c.sh("systemctl " + verb + " " + unit);
        if (!result.ok()) {
            throw new AssertionError(result.describe() + "\njournal of " + unit + ":\n"
                    + c.sh("journalctl --no-pager -o short-monotonic -u " + unit).stdout());
        }
    }

    private static void install(BootedContainer c, Path deb) throws IOException {
        Files.copy(deb, c.path(DEB_INSIDE));
        c.must("apt-get install -y -q " + DEB_INSIDE);
        c.must("rm " + DEB_INSIDE);
    }

    /** README step 1: the key, owned by culvert, mode 0600; returns its public key. */
    private static String newKey(BootedContainer c, String file) {
        String path = "/etc/culvert/" + file;
        c.must("install -o culvert -g culvert -m 0600 /dev/null " + path + " && culvert genkey > " + path);
        return c.must("culvert pubkey < " + path).stdout().strip();
    }

    /** README step 2: the config, root:culvert 0640, checked as user culvert. */
    private static void writeConfig(BootedContainer c, String instance, String text) {
        String path = "/etc/culvert/" + instance + ".conf";
        try {
            Files.writeString(c.path(path), text);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        c.must("chown root:culvert " + path + " && chmod 0640 " + path);
        if (!instance.equals("badkey")) {
            c.must("culvert check-config --user culvert " + path);
        }
    }

    private static String site(String keyFile, String listen, String device, String address, String peerKey,
                               String peerUnderlay, String peerTunnel, int metricsPort) {
        return """
                culvert {
                  private-key-file = /etc/culvert/%s
                  listen.udp = "%s:51820"
                  metrics.bind = "127.0.0.1:%d"
                  tunnels {
                    site-%s {
                      device { name = %s, address = "%s/30" }
                      peer {
                        public-key = "%s"
                        endpoint = "%s:51820"
                        allowed-ips = ["%s/32"]
                      }
                      keepalive { persistent = 5s }
                    }
                  }
                }
                """.formatted(keyFile, listen, metricsPort, device.substring(3), device, address, peerKey, peerUnderlay,
                peerTunnel);
    }

    private static void assertRunning(BootedContainer c, String unit) {
        await(unit + " active (running)").atMost(START).pollInterval(Duration.ofMillis(250)).until(() -> {
            String state = c.unitProperty(unit, "ActiveState");
            if (state.equals("failed")) {
                throw new AssertionError(unit + " failed: " + c.sh("journalctl --no-pager -o cat -u " + unit).stdout());
            }
            return state.equals("active");
        });
        assertThat(c.unitProperty(unit, "SubState")).isEqualTo("running");
        assertThat(c.unitProperty(unit, "StatusText")).as("STATUS= from the daemon").isNotEmpty();
    }
}
