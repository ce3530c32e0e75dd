package dev.culvert.daemon.tun;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link BridgeMtuCheck} over a fake {@code /sys/class/net}: links, brif entries and mtu files as the kernel lays them out. */
class BridgeMtuCheckTest {
    @TempDir
    Path sys;

    @Test
    void aTapInABridgeWithALargerPortIsReportedOncePerSituation() throws IOException {
        device("cv0", 1500);
        device("eth1", 9000);
        device("eth2", 1500);
        bridge("br0", 1500, "cv0", "eth1", "eth2");
        BridgeMtuCheck check = new BridgeMtuCheck(sys, "cv0");

        assertThat(check.inspect()).contains(new BridgeMtuCheck.Finding("br0", "eth1", 9000, 1500));
        assertThat(check.check("t1")).hasValueSatisfying(m -> assertThat(m)
                .contains("tap cv0 (mtu 1500)", "bridge br0", "port eth1 has mtu 9000", "set device.mtu = 9000"));
        assertThat(check.check("t1")).as("the same situation, again").isEmpty();
        assertThat(check.check("t1")).isEmpty();

        mtu("eth1", 4000); // another situation: reported again
        assertThat(check.check("t1")).hasValueSatisfying(m -> assertThat(m).contains("port eth1 has mtu 4000"));
        mtu("eth1", 1500); // resolved: nothing, and forgotten
        assertThat(check.check("t1")).isEmpty();
        mtu("eth2", 9000); // back: reported again
        assertThat(check.check("t1")).hasValueSatisfying(m -> assertThat(m).contains("port eth2 has mtu 9000"));
    }

    @Test
    void portsAtOrBelowTheTapsMtuAndTapsOutsideABridgeAreFine() throws IOException {
        device("cv0", 1500);
        device("eth1", 1500);
        device("veth9", 1420);
        bridge("br0", 1420, "cv0", "eth1", "veth9");
        assertThat(new BridgeMtuCheck(sys, "cv0").check("t1")).isEmpty();

        device("cv1", 1500);
        assertThat(new BridgeMtuCheck(sys, "cv1").check("t1")).as("no master").isEmpty();
        assertThat(new BridgeMtuCheck(sys, "gone").check("t1")).as("no such device").isEmpty();
        assertThat(new BridgeMtuCheck(sys.resolve("no-sysfs"), "cv0").check("t1")).isEmpty();
    }

    @Test
    void aMasterThatIsNotABridgeOrUnreadableFilesAreNoFinding() throws IOException {
        device("cv0", 1500);
        device("bond0", 9000);
        Files.createSymbolicLink(sys.resolve("cv0").resolve("master"), Path.of("../bond0"));
        assertThat(new BridgeMtuCheck(sys, "cv0").inspect()).as("a bond has no brif/").isEmpty();

        device("cv1", 1500);
        bridge("br1", 1500, "cv1", "eth9");
        Files.createDirectories(sys.resolve("eth9"));
        Files.writeString(sys.resolve("eth9").resolve("mtu"), "garbage\n");
        assertThat(new BridgeMtuCheck(sys, "cv1").inspect()).isEmpty();
    }

    private void device(String name, int mtu) throws IOException {
        Files.createDirectories(sys.resolve(name));
        mtu(name, mtu);
    }

    private void mtu(String name, int mtu) throws IOException {
        Files.writeString(sys.resolve(name).resolve("mtu"), mtu + "\n");
    }

    /** A bridge device with a brif/ entry per port, and each port's master link pointing at it (as sysfs does). */
    private void bridge(String name, int mtu, String... ports) throws IOException {
        device(name, mtu);
        Path brif = Files.createDirectories(sys.resolve(name).resolve("brif"));
        for (String port : ports) {
            Files.createSymbolicLink(brif.resolve(port), Path.of("../../" + port + "/brport"));
            Path master = sys.resolve(port).resolve("master");
            if (Files.isDirectory(sys.resolve(port)) && !Files.exists(master, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(master, Path.of("../" + name));
            }
        }
    }
}
