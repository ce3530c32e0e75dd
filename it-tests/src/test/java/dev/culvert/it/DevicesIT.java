package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.node.CulvertConfig;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.LinkSpec;
import dev.culvert.it.node.PeerSpec;
import dev.culvert.it.traffic.Ping;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Issue 13, item 4 (leftovers): a device Culvert did not create is refused and left untouched; one adopted with
 * {@code device.existing = true} carries traffic and is found again as it was before, without Culvert's address or
 * routes, so the next start succeeds; a route left behind for the same prefix does not fail a start (replace).
 */
@RequiresNetns
class DevicesIT {

    private static final Duration RUN_FAILS_WITHIN = Duration.ofSeconds(30);
    private static final String DEVICE = "cv0";
    /** A prefix routed into the tunnel, within 198.18.0.0/15. */
    private static final String ROUTED = "198.18.8.0/24";

    @Test
    void aPersistentTunMadeBeforehandIsRefusedWithAClearMessageAndLeftUntouched() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (Netns netns = Netns.create("dev");
             CulvertNode node = new CulvertNode(culvert, netns, "refused")) {
            netns.standaloneLink("ul0", TwoSites.UNDERLAY_A + "/24");
            netns.ip("tuntap", "add", "dev", DEVICE, "mode", "tun");
            netns.ip("address", "add", "198.18.0.9/30", "dev", DEVICE);
            String before = state(netns);
            Path config = node.writeConfig(Optional.of(TwoSites.LISTEN_A), new LinkSpec(DEVICE, TwoSites.TUNNEL_A,
                    LinkSpec.DEFAULT_MTU, List.of(ROUTED)), PeerSpec.of(somePeer(culvert), TwoSites.TUNNEL_IP_B + "/32"));

            BackgroundProcess run = node.launch(config);
            int exitCode = run.awaitExit(RUN_FAILS_WITHIN);

            assertThat(exitCode).as("exit code; stderr:%n%s", run.stderr()).isNotZero();
            assertThat(run.stderr()).contains("device '" + DEVICE + "' already exists and was not created by this "
                    + "Culvert").contains("device.existing = true").contains("ip link del " + DEVICE);
            assertThat(netns.hasLink(DEVICE)).isTrue();
            assertThat(state(netns)).as("the device as it was before").isEqualTo(before);
        }
    }

    @Test
    void anAdoptedDeviceCarriesTrafficAndIsLeftWithoutCulvertsAddressOrRoutesAndStartsAgain() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (TwoSites sites = TwoSites.create();
             CulvertNode a = new CulvertNode(culvert, sites.a(), "adopter");
             CulvertNode b = new CulvertNode(culvert, sites.b(), "peer")) {
            Netns ns = sites.a();
            ns.ip("tuntap", "add", "dev", DEVICE, "mode", "tun");
            // A route left behind by a crash: same prefix, on the device.
            ns.ip("link", "set", DEVICE, "up");
            ns.ip("route", "add", ROUTED, "dev", DEVICE);
            String configA = adopt(CulvertConfig.render(a.privateKeyFile(), Optional.of(TwoSites.LISTEN_A),
                    new LinkSpec(DEVICE, TwoSites.TUNNEL_A, LinkSpec.DEFAULT_MTU, List.of(ROUTED)),
                    PeerSpec.of(b.publicKey(), TwoSites.TUNNEL_IP_B + "/32").withEndpoint(TwoSites.LISTEN_B)));
            Path config = a.writeConfig(configA);
            b.start(Optional.of(TwoSites.LISTEN_B), LinkSpec.of(DEVICE, TwoSites.TUNNEL_B),
                    PeerSpec.of(a.publicKey(), TwoSites.TUNNEL_IP_A + "/32", ROUTED).withEndpoint(TwoSites.LISTEN_A));

            for (int run = 1; run <= 2; run++) {
                BackgroundProcess daemon = a.launch(config, "culvert-adopter-" + run);
                Ping.awaitReply(ns, TwoSites.TUNNEL_IP_B);
                Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
                assertThat(ns.ip("-4", "route", "show", "dev", DEVICE).stdout()).contains(ROUTED);

                daemon.signal("TERM");
                assertThat(daemon.awaitExit(CulvertNode.STOP_TIMEOUT)).as("exit code of run %d; stderr:%n%s", run,
                        daemon.stderr()).isZero();
                assertThat(ns.hasLink(DEVICE)).as("the adopted device stays after run %d", run).isTrue();
                assertThat(ns.ip("-4", "-o", "address", "show", "dev", DEVICE).stdout())
                        .as("no Culvert address left after run %d", run).isBlank();
                assertThat(ns.ip("-4", "route", "show", "dev", DEVICE).stdout())
                        .as("no Culvert route left after run %d", run).isBlank();
            }
            b.stop();
        }
    }

    @Test
    void aRouteToTheSamePrefixLeftBehindDoesNotFailTheStartIsReportedAndGoesWithTheDevice() {
        CulvertDistribution culvert = CulvertDistribution.locate();
        try (Netns netns = Netns.create("dev");
             CulvertNode node = new CulvertNode(culvert, netns, "stale")) {
            netns.standaloneLink("ul0", TwoSites.UNDERLAY_A + "/24");
            netns.ip("route", "add", "unreachable", ROUTED);

            node.start(Optional.of(TwoSites.LISTEN_A), new LinkSpec(DEVICE, TwoSites.TUNNEL_A, LinkSpec.DEFAULT_MTU,
                    List.of(ROUTED)), PeerSpec.of(somePeer(culvert), TwoSites.TUNNEL_IP_B + "/32"));

            org.awaitility.Awaitility.await("route " + ROUTED + " through " + DEVICE).atMost(CulvertNode.START_TIMEOUT)
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        if (!node.process().isAlive()) {
                            throw new AssertionError("culvert exited; stderr:\n" + node.process().stderr());
                        }
                        return netns.ip("-4", "route", "show", ROUTED).stdout().contains("dev " + DEVICE)
                                && node.process().stderr().contains("device " + DEVICE + " took over the route "
                                + "`unreachable " + ROUTED + "`");
                    });
            node.stop(); // exit 0 and the device gone
            assertThat(netns.ip("-4", "route", "show", ROUTED).stdout()).as("taken over, then gone with the device")
                    .isBlank();
        }
    }

    /** The device's addresses and routes (IPv4 and IPv6) and its link line without counters. */
    private static String state(Netns netns) {
        return netns.ip("-o", "address", "show", "dev", DEVICE).stdout() + netns.ip("route", "show", "dev", DEVICE)
                .stdout() + netns.ip("-6", "route", "show", "dev", DEVICE).stdout()
                + netns.ip("-o", "link", "show", "dev", DEVICE).stdout();
    }

    /** The rendered config with {@code device.existing = true}. */
    private static String adopt(String config) {
        String adopted = config.replace("        mode = tun\n", "        mode = tun\n        existing = true\n");
        assertThat(adopted).isNotEqualTo(config);
        return adopted;
    }

    private static String somePeer(CulvertDistribution culvert) {
        return culvert.pubkey(culvert.genkey());
    }
}
