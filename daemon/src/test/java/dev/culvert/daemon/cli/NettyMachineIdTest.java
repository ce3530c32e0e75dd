package dev.culvert.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.daemon.tun.RootPreconditions;
import io.netty.channel.DefaultChannelId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 12: Netty's "Failed to find a usable hardware address" warning at every start, where the host has
 * no network interface with a hardware address Netty likes. The probe runs in a child JVM (Netty reads
 * {@code io.netty.machineId} once) inside a fresh network namespace of its own ({@code unshare --net}: only a
 * loopback device, gone when the child exits), which is such a host; the control without
 * {@link Main#giveNettyAMachineId} shows the warning there, so the test can fail.
 */
class NettyMachineIdTest {

    private static final String WARNING = "Failed to find a usable hardware address";

    @Test
    void withTheDaemonsSettingNettyDoesNotWarn() throws Exception {
        String out = probe(true);
        assertThat(out).contains("channel id ").doesNotContain(WARNING);
    }

    @Test
    void withoutItNettyWarnsWhereThereIsNoHardwareAddress() throws Exception {
        String out = probe(false);
        assertThat(out).contains("channel id ").contains(WARNING);
    }

    @Test
    void anOperatorsOwnMachineIdIsKept() {
        String before = System.getProperty(Main.NETTY_MACHINE_ID);
        try {
            System.setProperty(Main.NETTY_MACHINE_ID, "02:00:00:00:00:01");
            Main.giveNettyAMachineId();
            assertThat(System.getProperty(Main.NETTY_MACHINE_ID)).isEqualTo("02:00:00:00:00:01");
            System.clearProperty(Main.NETTY_MACHINE_ID);
            Main.giveNettyAMachineId();
            assertThat(System.getProperty(Main.NETTY_MACHINE_ID)).matches("([0-9a-f]{2}:){7}[0-9a-f]{2}");
        } finally {
            if (before == null) {
                System.clearProperty(Main.NETTY_MACHINE_ID);
            } else {
                System.setProperty(Main.NETTY_MACHINE_ID, before);
            }
        }
    }

    private static String probe(boolean daemonSetting) throws IOException, InterruptedException {
        RootPreconditions.require("unshare");
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) {
            cp = System.getProperty("java.class.path");
        }
        List<String> argv = List.of("unshare", "--net", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", cp, Probe.class.getName(), Boolean.toString(daemonSetting));
        Process child = new ProcessBuilder(argv).redirectErrorStream(true).start();
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("the probe ends").isTrue();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.exitValue()).as("probe exit; output:%n%s", output).isZero();
        return output;
    }

    /** The child: makes a Netty channel id, as the daemon's first channel does. */
    public static final class Probe {
        public static void main(String[] args) {
            if (Boolean.parseBoolean(args[0])) {
                Main.giveNettyAMachineId();
            }
            System.out.println("channel id " + DefaultChannelId.newInstance().asLongText());
        }
    }
}
