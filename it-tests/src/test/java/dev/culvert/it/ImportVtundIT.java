package dev.culvert.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.ExecResult;
import dev.culvert.it.harness.RequiresNetns;
import dev.culvert.it.harness.TwoSites;
import dev.culvert.it.harness.Workspace;
import dev.culvert.it.node.CulvertDistribution;
import dev.culvert.it.node.CulvertNode;
import dev.culvert.it.node.Daemons;
import dev.culvert.it.traffic.Ping;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, item 2: a vtund.conf pair (a {@code vtund -s} server's and a {@code vtund cobra HOST} client's, as an
 * operator has them today) imported with {@code culvert import-vtund} as the README's "Migrating from vtund" says
 * (the server first; the client with the server's key; the client's key into the server's config at the line the
 * import printed), checked with {@code check-config}, and run: two Culvert daemons that ping each other through
 * the tunnel, with the addresses, MTU and hook the vtund.conf lines gave.
 */
@RequiresNetns
class ImportVtundIT {
    private static final String PORT = "51820";
    private static final Pattern PUBLIC_KEY = Pattern.compile("This site's public key: (\\S+)");
    private static final Pattern PEER_KEY_LINE = Pattern.compile("tunnel cobra, line (\\d+)");

    @Test
    void aVtundPairImportedInModernModePingsBothWays() throws IOException {
        CulvertDistribution culvert = CulvertDistribution.locate();
        Path work = Workspace.newDir("import-vtund");
        Path serverConf = work.resolve("server-vtund.conf");
        Path clientConf = work.resolve("client-vtund.conf");
        Files.writeString(serverConf, """
                # vtund -s
                options {
                  port %s;
                  bindaddr { addr %s; };
                  syslog daemon;
                }
                default { compress no; speed 0; }
                cobra {
                  passwd  Ma&^TU;
                  type tun; proto udp; compress lzo:9; encrypt aes128cbc; keepalive 10:3; multi killold;
                  up {
                    ip "link set %%%% up mtu 1400";
                    ip "addr add %s peer %s dev %%%%";
                  };
                  down { ip "link set %%%% down"; };
                }
                """.formatted(PORT, TwoSites.UNDERLAY_A, TwoSites.TUNNEL_IP_A, TwoSites.TUNNEL_IP_B));
        Files.writeString(clientConf, """
                # vtund cobra %s
                options { port %s; timeout 60; ip /sbin/ip; }
                cobra {
                  passwd  Ma&^TU;
                  device tun1; persist yes;
                  up {
                    ip "link set %%%% up multicast off mtu 1400";
                    ip "-family inet addr add %s peer %s dev %%%%";
                  };
                }
                """.formatted(TwoSites.UNDERLAY_A, PORT, TwoSites.TUNNEL_IP_B, TwoSites.TUNNEL_IP_A));
        Path outA = Files.createDirectory(work.resolve("site-a"));
        Path outB = Files.createDirectory(work.resolve("site-b"));

        // 1. the server's end: its key is new; the client's key is not known yet
        ExecResult a = culvert.run(null, "import-vtund", serverConf.toString(), "--out", outA.toString());
        assertThat(a.exitCode()).as(a.describe()).isZero();
        assertThat(a.stdout()).contains("as a server (options has bindaddr");
        String keyA = group(PUBLIC_KEY, a.stdout());
        int peerKeyLine = Integer.parseInt(group(PEER_KEY_LINE, a.stdout()));
        // 2. the client's end, with the server's key; the server decides the transport in vtund: --proto says it
        ExecResult b = culvert.run(null, "import-vtund", clientConf.toString(), "--server", TwoSites.UNDERLAY_A,
                "--proto", "udp", "--peer-key", "cobra=" + keyA, "--out", outB.toString());
        assertThat(b.exitCode()).as(b.describe()).isZero();
        String keyB = group(PUBLIC_KEY, b.stdout());
        // 3. the client's key into the server's config, at the line the import named
        Path configA = outA.resolve("server-vtund.conf");
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(configA));
        assertThat(lines.get(peerKeyLine - 1)).contains("# public-key = ");
        lines.set(peerKeyLine - 1, "public-key = \"" + keyB + "\"");
        Files.write(configA, lines);
        Path configB = outB.resolve("client-vtund.conf");
        for (Path config : List.of(configA, configB)) {
            ExecResult check = culvert.checkConfig(config);
            assertThat(check.exitCode()).as(check.describe()).isZero();
        }

        try (TwoSites sites = TwoSites.create();
             CulvertNode nodeA = CulvertNode.withKeysFromTestJvm(culvert, sites.a(), "import-a");
             CulvertNode nodeB = CulvertNode.withKeysFromTestJvm(culvert, sites.b(), "import-b")) {
            BackgroundProcess runA = nodeA.launch(withOwnControlSocket(configA, nodeA));
            BackgroundProcess runB = nodeB.launch(withOwnControlSocket(configB, nodeB));
            Daemons.awaitRunning(nodeA, runA, List.of("cv-cobra"));
            Daemons.awaitRunning(nodeB, runB, List.of("tun1"));

            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A); // the client speaks first
            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);
            // what the vtund.conf lines said, as device settings and the one line kept as a hook
            assertThat(sites.a().ip("-o", "link", "show", "cv-cobra").stdout()).contains("mtu 1400");
            assertThat(sites.b().ip("-o", "link", "show", "tun1").stdout()).contains("mtu 1400")
                    .doesNotContain("MULTICAST");
            // "addr add B peer A" became device.address B/32 and device.routes A/32: the same reach
            assertThat(sites.b().ip("-o", "addr", "show", "dev", "tun1").stdout())
                    .contains("inet " + TwoSites.TUNNEL_IP_B + "/32");
            assertThat(sites.b().ip("route", "show", "dev", "tun1").stdout()).contains(TwoSites.TUNNEL_IP_A);
            Daemons.requireAlive(runA);
            Daemons.requireAlive(runB);
        }
    }

    /**
     * Two sessions between the same two sites (as Debian's cobra, tun, and lion, ether): the server imports one
     * config with a tunnel per session; the client, given the server's key once, one config per session, each its
     * own daemon with its own key and metrics port; each server tunnel takes its own client key. Three daemons, two
     * of them side by side on the client's site, and a ping through each tunnel.
     */
    @Test
    void twoSessionsBetweenTheSameSitesRunAsOneServerAndTwoClientDaemons() throws IOException {
        CulvertDistribution culvert = CulvertDistribution.locate();
        Path work = Workspace.newDir("import-vtund-two");
        Path serverConf = work.resolve("server-vtund.conf");
        Path clientConf = work.resolve("client-vtund.conf");
        Files.writeString(serverConf, """
                options { port %s; bindaddr { addr %s; }; }
                cobra {
                  passwd Ma&^TU; type tun; proto udp; keepalive yes;
                  up { ifconfig "%%%% %s pointopoint %s mtu 1400"; };
                }
                lion {
                  passwd Ma&^TU; type ether; device tap0; proto udp; keepalive yes;
                  up { ifconfig "%%%% 198.19.1.1 netmask 255.255.255.0"; };
                  down { ifconfig "%%%% down"; };
                }
                """.formatted(PORT, TwoSites.UNDERLAY_A, TwoSites.TUNNEL_IP_A, TwoSites.TUNNEL_IP_B));
        Files.writeString(clientConf, """
                options { port %s; timeout 60; }
                cobra {
                  passwd Ma&^TU; device tun1; persist yes;
                  up { ifconfig "%%%% %s pointopoint %s mtu 1400"; };
                }
                lion {
                  passwd Ma&^TU; type ether; device tap1; persist yes;
                  up { ifconfig "%%%% 198.19.1.2 netmask 255.255.255.0"; };
                }
                """.formatted(PORT, TwoSites.TUNNEL_IP_B, TwoSites.TUNNEL_IP_A));
        Path outA = Files.createDirectory(work.resolve("site-a"));
        Path outB = Files.createDirectory(work.resolve("site-b"));
        ExecResult a = culvert.run(null, "import-vtund", serverConf.toString(), "--out", outA.toString());
        assertThat(a.exitCode()).as(a.describe()).isZero();
        String keyA = group(PUBLIC_KEY, a.stdout());
        // the client's command line as the server's import prints it: each session's type, the one proto
        assertThat(a.stdout()).contains("--type cobra=tun --type lion=ether --proto udp --peer-key " + keyA);
        ExecResult b = culvert.run(null, "import-vtund", clientConf.toString(), "--server", TwoSites.UNDERLAY_A,
                "--type", "cobra=tun", "--type", "lion=ether", "--proto", "udp", "--peer-key", keyA, "--out",
                outB.toString());
        assertThat(b.exitCode()).as(b.describe()).isZero();
        Path configA = outA.resolve("server-vtund.conf");
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(configA));
        for (String tunnel : List.of("cobra", "lion")) {
            String clientKey = group(Pattern.compile("\\n  " + tunnel + ": (\\S+)"), b.stdout());
            int at = Integer.parseInt(group(Pattern.compile("tunnel " + tunnel + ", line (\\d+)"), a.stdout()));
            lines.set(at - 1, "public-key = \"" + clientKey + "\"");
        }
        Files.write(configA, lines);
        for (Path config : List.of(configA, outB.resolve("cobra.conf"), outB.resolve("lion.conf"))) {
            ExecResult check = culvert.checkConfig(config);
            assertThat(check.exitCode()).as(check.describe()).isZero();
        }

        try (TwoSites sites = TwoSites.create();
             CulvertNode nodeA = CulvertNode.withKeysFromTestJvm(culvert, sites.a(), "import2-a");
             CulvertNode cobra = CulvertNode.withKeysFromTestJvm(culvert, sites.b(), "import2-cobra");
             CulvertNode lion = CulvertNode.withKeysFromTestJvm(culvert, sites.b(), "import2-lion")) {
            BackgroundProcess runA = nodeA.launch(withOwnControlSocket(configA, nodeA));
            BackgroundProcess runCobra = cobra.launch(withOwnControlSocket(outB.resolve("cobra.conf"), cobra));
            BackgroundProcess runLion = lion.launch(withOwnControlSocket(outB.resolve("lion.conf"), lion));
            Daemons.awaitRunning(nodeA, runA, List.of("cv-cobra", "tap0"));
            Daemons.awaitRunning(cobra, runCobra, List.of("tun1"));
            Daemons.awaitRunning(lion, runLion, List.of("tap1")); // its own metrics port: both daemons start

            Ping.awaitReply(sites.b(), TwoSites.TUNNEL_IP_A);
            Ping.awaitReply(sites.b(), "198.19.1.1");
            Ping.awaitReply(sites.a(), TwoSites.TUNNEL_IP_B);
            Ping.awaitReply(sites.a(), "198.19.1.2");
            Daemons.requireAlive(runA);
            Daemons.requireAlive(runCobra);
            Daemons.requireAlive(runLion);
        }
    }

    /** The imported config plus a control socket in the node's folder (both daemons share one file system). */
    private static Path withOwnControlSocket(Path config, CulvertNode node) throws IOException {
        Path copy = config.resolveSibling(config.getFileName().toString().replace(".conf", "-run.conf"));
        Files.writeString(copy, Files.readString(config) + "culvert.control.socket = \""
                + node.dir().resolve("control.sock") + "\"\n");
        return copy;
    }

    private static String group(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        assertThat(m.find()).as("%s in:\n%s", pattern, text).isTrue();
        return m.group(1);
    }
}
