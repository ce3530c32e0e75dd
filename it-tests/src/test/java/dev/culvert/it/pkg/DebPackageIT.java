package dev.culvert.it.pkg;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.it.harness.Exec;
import dev.culvert.it.harness.ExecResult;
import dev.culvert.it.harness.Workspace;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What is inside {@code culvert_*_amd64.deb}, read with {@code dpkg-deb} (no root, a second or two):
 * paths, modes and owners, control fields, maintainer scripts, and man pages that render cleanly and
 * name every command and tunnel key.
 */
class DebPackageIT {

    private static final Duration DPKG_TIMEOUT = Duration.ofSeconds(60);

    /** path -> "mode owner/group" that the package must hold. */
    private static final Map<String, String> EXPECTED = new LinkedHashMap<>();

    static {
        EXPECTED.put("./usr/share/culvert/bin/culvert", "-rwxr-xr-x root/root");
        EXPECTED.put("./usr/share/culvert/lib/", "drwxr-xr-x root/root");
        EXPECTED.put("./lib/systemd/system/culvert@.service", "-rw-r--r-- root/root");
        EXPECTED.put("./etc/culvert/", "drwx------ root/root");
        EXPECTED.put("./etc/culvert/example.conf.sample", "-rw-r--r-- root/root");
        EXPECTED.put("./usr/share/man/man8/culvert.8.gz", "-rw-r--r-- root/root");
        EXPECTED.put("./usr/share/man/man5/culvert.conf.5.gz", "-rw-r--r-- root/root");
        EXPECTED.put("./usr/share/doc/culvert/copyright", "-rw-r--r-- root/root");
        EXPECTED.put("./usr/share/doc/culvert/README", "-rw-r--r-- root/root");
    }

    private static Path deb;

    @BeforeAll
    static void locatePackage() {
        PackageTools.require(false, "dpkg-deb");
        deb = DebPackage.locate();
    }

    @Test
    void holdsTheExpectedPathsWithTheirModesAndOwners() {
        Map<String, String> listed = new LinkedHashMap<>();
        for (String line : dpkg("-c", deb.toString()).stdout().split("\n")) {
            // drwxr-xr-x root/root 0 2025-01-01 00:00 ./usr/   (and "-> target" for links)
            String[] f = line.trim().split("\\s+", 6);
            if (f.length == 6) {
                listed.put(f[5], f[0] + " " + f[1]);
            }
        }
        EXPECTED.forEach((path, modeAndOwner) ->
                assertThat(listed).as("dpkg-deb -c entry %s", path).containsEntry(path, modeAndOwner));
        assertThat(listed.keySet()).as("the launcher link")
                .contains("./usr/bin/culvert -> ../share/culvert/bin/culvert");
        assertThat(listed.keySet()).as("the daemon's jar and its dependencies")
                .anyMatch(p -> p.matches("\\./usr/share/culvert/lib/culvert-daemon-.*\\.jar"))
                .anyMatch(p -> p.matches("\\./usr/share/culvert/lib/netty-.*\\.jar"));
        assertThat(listed.keySet()).as("no NAME.conf, so no instance can start by itself")
                .noneMatch(p -> p.startsWith("./etc/culvert/") && p.endsWith(".conf"));
        assertThat(listed.values()).as("every entry is owned by root").allMatch(v -> v.endsWith(" root/root"));
    }

    @Test
    void hasTheExpectedControlFieldsAndMaintainerScripts() {
        String version = field("Version");
        assertThat(version).as("a Debian version made from the Maven version").matches("\\d+\\.\\d+\\.\\d+(~SNAPSHOT)?");
        Exec.run("dpkg", "--validate-version", version).requireSuccess();
        assertThat(field("Package")).isEqualTo("culvert");
        assertThat(field("Architecture")).isEqualTo("amd64");
        assertThat(field("Section")).isEqualTo("net");
        assertThat(field("Depends"))
                .contains("default-jre-headless (>= 2:1.17) | java17-runtime-headless | java21-runtime-headless")
                .contains("iproute2")
                .contains("adduser");
        assertThat(field("Description")).contains("WireGuard");
        assertThat(deb.getFileName().toString()).isEqualTo("culvert_" + version + "_amd64.deb");

        String info = dpkg("-I", deb.toString()).stdout();
        for (String script : List.of("postinst", "prerm", "postrm")) {
            assertThat(info).as("maintainer script %s, executable (*)", script).containsPattern("\\*\\s+" + script + "\\s");
        }
        assertThat(dpkg("-I", deb.toString(), "conffiles").stdout().strip()).isEqualTo("/etc/culvert/example.conf.sample");
    }

    /**
     * Issue 11: instances side by side (a runtime directory each), a config error fails once (78 is not restarted;
     * the advisory ExecStartPre checks as user culvert), and nothing the unit runs needs a package not depended on.
     */
    @Test
    void theUnitKeepsInstancesApartAndDoesNotRestartOnConfigErrors() throws java.io.IOException {
        Path tree = Workspace.newDir("deb-unit");
        dpkg("-x", deb.toString(), tree.toString());
        List<String> unit = java.nio.file.Files.readAllLines(tree.resolve("lib/systemd/system/culvert@.service"));
        assertThat(unit).contains("RuntimeDirectory=culvert/%i", "RestartPreventExitStatus=78",
                "ExecStartPre=-/usr/bin/culvert check-config --user culvert /etc/culvert/%i.conf",
                "ExecStart=/usr/bin/culvert run --config /etc/culvert/%i.conf");
        assertThat(unit).noneMatch(line -> line.startsWith("RuntimeDirectory=culvert") && line.endsWith("culvert"));
        assertThat(field("Depends")).as("nothing of procps is needed once ExecReload runs culvert reload")
                .doesNotContain("procps");
        assertThat(field("Architecture")).as("x86-64 native code inside").isEqualTo("amd64");
    }

    @Test
    void manPagesRenderWithoutWarningsAndCoverTheCliAndTheConfig() {
        PackageTools.require(false, "man");
        Path tree = Workspace.newDir("deb-contents");
        dpkg("-x", deb.toString(), tree.toString());

        String culvert8 = man(tree.resolve("usr/share/man/man8/culvert.8.gz"));
        assertThat(culvert8).contains("NAME", "SYNOPSIS", "COMMANDS", "SYSTEMD", "FILES")
                .contains("culvert run", "culvert check-config", "culvert genkey", "culvert pubkey", "culvert genpsk")
                .contains("--config", "--log-level", "CAP_NET_BIND_SERVICE");

        String conf5 = man(tree.resolve("usr/share/man/man5/culvert.conf.5.gz"));
        assertThat(conf5).contains("culvert.private-key-file", "culvert.listen.udp",
                "culvert.tunnels.NAME.peer.public-key", "culvert.tunnels.NAME.device.mtu = null",
                "/etc/culvert/example.conf.sample");
    }

    private static String man(Path page) {
        ExecResult result = Exec.run(List.of("man", "--warnings", "-l", page.toString()), null,
                Map.of("MANWIDTH", "200", "MAN_KEEP_FORMATTING", "0"), DPKG_TIMEOUT).requireSuccess();
        assertThat(result.stderr().strip()).as("groff warnings for %s", page).isEmpty();
        // Strip overstrike (bold/underline) in case man formats for a terminal anyway.
        return result.stdout().replaceAll(".\b", "");
    }

    private static String field(String name) {
        return dpkg("-f", deb.toString(), name).stdout().strip();
    }

    private static ExecResult dpkg(String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("dpkg-deb"));
        command.addAll(List.of(args));
        return Exec.run(command, null, Map.of(), DPKG_TIMEOUT).requireSuccess();
    }
}
