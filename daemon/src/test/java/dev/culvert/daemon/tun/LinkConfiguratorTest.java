package dev.culvert.daemon.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.culvert.config.Cidr;
import dev.culvert.config.DeviceConfig;
import dev.culvert.config.DeviceMode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LinkConfiguratorTest {

    private final FakeRunner runner = new FakeRunner();
    private final LinkConfigurator links = new LinkConfigurator(runner);

    @Test
    void configureRunsMtuAddressesUpThenRoutes() throws TunException {
        links.configure("cv-x", 1420, List.of(cidr("198.18.0.1/30")),
                List.of(cidr("198.51.100.0/24"), cidr("203.0.113.0/24")));

        assertThat(runner.commands).containsExactly(
                List.of("ip", "link", "set", "dev", "cv-x", "mtu", "1420"),
                List.of("ip", "address", "replace", "198.18.0.1/30", "dev", "cv-x"),
                List.of("ip", "link", "set", "dev", "cv-x", "up"),
                List.of("ip", "-4", "-o", "route", "show", "exact", "198.51.100.0/24", "table", "main"),
                List.of("ip", "route", "replace", "198.51.100.0/24", "dev", "cv-x"),
                List.of("ip", "-4", "-o", "route", "show", "exact", "203.0.113.0/24", "table", "main"),
                List.of("ip", "route", "replace", "203.0.113.0/24", "dev", "cv-x"));
        assertThat(runner.timeouts).containsOnly(LinkConfigurator.DEFAULT_TIMEOUT);
    }

    @Test
    void configuresATunnelsDeviceBlock() throws TunException {
        links.configure(new DeviceConfig("cv-site-b", DeviceMode.TUN, 1380, Optional.of(cidr("2001:db8::1/64")),
                List.of(cidr("198.51.100.0/24"))));

        assertThat(runner.commands).containsExactly(
                List.of("ip", "link", "set", "dev", "cv-site-b", "addrgenmode", "none"),
                List.of("ip", "link", "set", "dev", "cv-site-b", "mtu", "1380"),
                List.of("ip", "address", "replace", "2001:db8::1/64", "dev", "cv-site-b"),
                List.of("ip", "link", "set", "dev", "cv-site-b", "up"),
                List.of("ip", "-4", "-o", "route", "show", "exact", "198.51.100.0/24", "table", "main"),
                List.of("ip", "route", "replace", "198.51.100.0/24", "dev", "cv-site-b"));
    }

    @Test
    void aDeviceWithoutAddressOnlyGetsMtuAndUp() throws TunException {
        links.configure(new DeviceConfig("cv-l2", DeviceMode.TAP, 1500, Optional.empty(), List.of()));

        assertThat(runner.commands).containsExactly(
                List.of("ip", "link", "set", "dev", "cv-l2", "mtu", "1500"),
                List.of("ip", "link", "set", "dev", "cv-l2", "up"));
    }

    @Test
    void failureCarriesWhatFailedAndIpsFirstStderrLine() {
        runner.result = new CommandRunner.CommandResult(2, "",
                "\nRTNETLINK answers: Operation not permitted\nmore\n");

        assertThatThrownBy(() -> links.addAddress("cv-x", cidr("198.18.0.1/30")))
                .isInstanceOf(TunException.class)
                .hasMessage("cannot add address 198.18.0.1/30 to cv-x: RTNETLINK answers: Operation not permitted");
    }

    @Test
    void failureWithoutStderrNamesTheExitStatus() {
        runner.result = new CommandRunner.CommandResult(2, "", "");

        assertThatThrownBy(() -> links.addRoute("cv-x", cidr("198.51.100.0/24")))
                .hasMessage("cannot add route 198.51.100.0/24 via cv-x: exited with status 2");
    }

    @Test
    void configureStopsAtTheFirstFailure() {
        runner.result = new CommandRunner.CommandResult(2, "", "RTNETLINK answers: Operation not permitted");

        assertThatThrownBy(() -> links.configure("cv-x", 1420, List.of(cidr("198.18.0.1/30")), List.of()))
                .hasMessage("cannot set MTU 1420 on cv-x: RTNETLINK answers: Operation not permitted");
        assertThat(runner.commands).hasSize(1);
    }

    @Test
    void aCommandThatCannotRunOrTimesOutIsReported() {
        runner.failure = new IOException("cannot run 'ip': error=2, No such file or directory");

        assertThatThrownBy(() -> links.up("cv-x"))
                .isInstanceOf(TunException.class)
                .hasMessage("cannot bring up cv-x: cannot run 'ip': error=2, No such file or directory");
    }

    @Test
    void badArgumentsAreRefusedBeforeRunningAnything() {
        assertThatThrownBy(() -> links.up("bad name")).hasMessageStartingWith("invalid device name");
        assertThatThrownBy(() -> links.setMtu("cv-x", 20)).hasMessageContaining("must be 68..65535");
        assertThat(runner.commands).isEmpty();
    }

    @Test
    void whatConfigureAddedIsRecordedAndRemovedRoutesFirstNewestFirst() throws TunException {
        LinkConfigurator.Added added = new LinkConfigurator.Added("cv-x");
        links.configure(new DeviceConfig("cv-x", DeviceMode.TUN, 1420, Optional.of(cidr("198.18.0.1/30")),
                List.of(cidr("198.51.100.0/24"), cidr("203.0.113.0/24")), Optional.empty(), true, true), added);
        assertThat(added.addresses()).containsExactly(cidr("198.18.0.1/30"));
        assertThat(added.routes()).containsExactly(cidr("198.51.100.0/24"), cidr("203.0.113.0/24"));
        runner.commands.clear();

        List<String> failures = links.remove(added);

        assertThat(failures).isEmpty();
        assertThat(runner.commands).containsExactly(
                List.of("ip", "route", "del", "203.0.113.0/24", "dev", "cv-x"),
                List.of("ip", "route", "del", "198.51.100.0/24", "dev", "cv-x"),
                List.of("ip", "address", "del", "198.18.0.1/30", "dev", "cv-x"));
        assertThat(added.isEmpty()).isTrue();
        runner.commands.clear();
        assertThat(links.remove(added)).isEmpty();
        assertThat(runner.commands).as("removed once").isEmpty();
    }

    @Test
    void aConfigurationThatFailsHalfWayRecordsOnlyWhatWasAdded() {
        LinkConfigurator.Added added = new LinkConfigurator.Added("cv-x");
        runner.failOn = argv -> argv.contains("203.0.113.0/24");

        assertThatThrownBy(() -> links.configure("cv-x", 1420, List.of(cidr("198.18.0.1/30")),
                List.of(cidr("198.51.100.0/24"), cidr("203.0.113.0/24"), cidr("192.0.2.0/24")), added))
                .hasMessage("cannot add route 203.0.113.0/24 via cv-x: RTNETLINK answers: Network is unreachable");

        assertThat(added.addresses()).containsExactly(cidr("198.18.0.1/30"));
        assertThat(added.routes()).containsExactly(cidr("198.51.100.0/24"));
    }

    @Test
    void aRemovalThatFailsIsReportedTheRestGoesOnAndItStaysRecorded() throws TunException {
        LinkConfigurator.Added added = new LinkConfigurator.Added("cv-x");
        links.configure("cv-x", 1420, List.of(cidr("198.18.0.1/30")),
                List.of(cidr("198.51.100.0/24"), cidr("203.0.113.0/24")), added);
        runner.commands.clear();
        runner.failOn = argv -> argv.contains("del") && argv.contains("203.0.113.0/24");

        List<String> failures = links.remove(added);

        assertThat(failures).containsExactly(
                "cannot remove route 203.0.113.0/24 via cv-x: RTNETLINK answers: Network is unreachable");
        assertThat(runner.commands).hasSize(3);
        assertThat(added.routes()).containsExactly(cidr("203.0.113.0/24"));
        assertThat(added.addresses()).isEmpty();
    }

    @Test
    void aRouteThroughNoDeviceThatReplaceTakesOverIsRecordedOursAndOtherMetricsAreNot() throws TunException {
        runner.stdoutOf = argv -> !argv.contains("show") ? "" : argv.contains("198.51.100.0/24")
                ? "198.51.100.0/24 dev cv-x scope link linkdown\n" // a leftover of ours
                + "198.51.100.0/24 dev eth0 proto static scope link metric 100\n" // replace leaves it
                : argv.contains("203.0.113.0/24") ? "unreachable 203.0.113.0/24\n"
                : "2001:db8:5::/64 dev eth1 metric 256 pref medium\n";
        LinkConfigurator.Added added = new LinkConfigurator.Added("cv-x");

        links.configure("cv-x", 1420, List.of(), List.of(cidr("198.51.100.0/24"), cidr("203.0.113.0/24"),
                cidr("2001:db8:5::/64")), added);

        assertThat(added.takenOver()).containsExactly("unreachable 203.0.113.0/24");
        assertThat(added.routes()).hasSize(3);
        assertThat(runner.commands).contains(
                List.of("ip", "-6", "-o", "route", "show", "exact", "2001:db8:5::/64", "table", "main"));
    }

    @Test
    void aRouteThatAnotherDeviceCarriesIsRefusedNotTakenOver() {
        runner.stdoutOf = argv -> argv.contains("show") ? "0.0.0.0/0 via 192.0.2.254 dev eth0\n" : "";
        LinkConfigurator.Added added = new LinkConfigurator.Added("cv-x");

        assertThatThrownBy(() -> links.configure("cv-x", 1420, List.of(cidr("198.18.0.1/30")),
                List.of(cidr("0.0.0.0/0")), added))
                .isInstanceOf(TunException.class)
                .hasMessageContaining("cannot add route 0.0.0.0/0 via cv-x")
                .hasMessageContaining("via eth0 already")
                .hasMessageContaining("does not take over another device's route");
        assertThat(runner.commands).noneMatch(argv -> argv.contains("replace") && argv.contains("0.0.0.0/0"));
        assertThat(added.routes()).isEmpty();
        assertThat(added.addresses()).as("recorded, so a failed start removes it").containsExactly(cidr("198.18.0.1/30"));
    }

    @Test
    void anAdoptedDeviceKeepsTheAddressesAndRoutesItHadBeforeTheStart() throws TunException {
        runner.stdoutOf = argv -> !argv.contains("show") ? ""
                : argv.contains("address") && argv.contains("-4")
                ? "7: cv-x    inet 198.18.20.1/30 scope global cv-x\\       valid_lft forever preferred_lft forever\n"
                : argv.contains("route") && argv.contains("-4") && argv.contains("dev")
                && !argv.contains("exact") ? "198.51.100.0/24 scope link\n198.18.20.0/30 proto kernel scope link src"
                + " 198.18.20.1\n" : "";
        LinkConfigurator.Added added = new LinkConfigurator.Added("cv-x");

        links.configure(new DeviceConfig("cv-x", DeviceMode.TUN, 1420, Optional.of(cidr("198.18.20.1/30")),
                List.of(cidr("198.51.100.0/24"), cidr("203.0.113.0/24")), Optional.empty(), true, true), added);

        assertThat(added.kept()).contains(cidr("198.18.20.1/30"), cidr("198.51.100.0/24"));
        assertThat(added.addresses()).as("the operator's address is not ours to remove").isEmpty();
        assertThat(added.routes()).as("only the route Culvert added").containsExactly(cidr("203.0.113.0/24"));
        assertThat(runner.commands).contains(List.of("ip", "-4", "-o", "address", "show", "dev", "cv-x"),
                List.of("ip", "-6", "route", "show", "dev", "cv-x", "table", "main"));
    }

    @Test
    void aCreatedDeviceIsNotQueriedForWhatItHad() throws TunException {
        LinkConfigurator.Added added = new LinkConfigurator.Added("cv-x");

        links.configure(new DeviceConfig("cv-x", DeviceMode.TUN, 1420, Optional.of(cidr("198.18.20.1/30")),
                List.of(), Optional.empty(), true, false), added);

        assertThat(runner.commands).noneMatch(argv -> argv.contains("show"));
        assertThat(added.addresses()).containsExactly(cidr("198.18.20.1/30"));
    }

    @Test
    void aRouteQueryThatFailsTakesNothingOverAndTheRouteIsStillSet() throws TunException {
        runner.failOn = argv -> argv.contains("show");
        LinkConfigurator.Added added = new LinkConfigurator.Added("cv-x");

        links.configure("cv-x", 1420, List.of(), List.of(cidr("198.51.100.0/24")), added);

        assertThat(added.takenOver()).isEmpty();
        assertThat(added.routes()).containsExactly(cidr("198.51.100.0/24"));
    }

    @Test
    void recordingForAnotherDeviceIsAProgrammingError() {
        assertThatThrownBy(() -> links.configure("cv-x", 1420, List.of(), List.of(),
                new LinkConfigurator.Added("cv-y"))).isInstanceOf(IllegalArgumentException.class);
        assertThat(runner.commands).isEmpty();
    }

    @Test
    void usesTheConfiguredIpBinaryAndTimeout() throws TunException {
        Duration timeout = Duration.ofSeconds(3);
        new LinkConfigurator(runner, "/usr/sbin/ip", timeout).up("cv-x");

        assertThat(runner.commands).containsExactly(List.of("/usr/sbin/ip", "link", "set", "dev", "cv-x", "up"));
        assertThat(runner.timeouts).containsExactly(timeout);
    }

    private static Cidr cidr(String text) {
        return Cidr.parse(text);
    }

    /** Records each argv; answers with a fixed result or failure. */
    private static final class FakeRunner implements CommandRunner {
        final List<List<String>> commands = new ArrayList<>();
        final List<Duration> timeouts = new ArrayList<>();
        CommandResult result = new CommandResult(0, "", "");
        IOException failure;
        /** Commands that fail as ip fails when the kernel refuses, whatever {@link #result} says. */
        java.util.function.Predicate<List<String>> failOn = argv -> false;
        /** What a command prints on stdout. */
        java.util.function.Function<List<String>, String> stdoutOf = argv -> "";

        @Override
        public CommandResult run(List<String> argv, Duration timeout) throws IOException {
            commands.add(List.copyOf(argv));
            timeouts.add(timeout);
            if (failure != null) {
                throw failure;
            }
            if (failOn.test(argv)) {
                return new CommandResult(2, "", "RTNETLINK answers: Network is unreachable\n");
            }
            String stdout = stdoutOf.apply(argv);
            return stdout.isEmpty() ? result : new CommandResult(result.exitCode(), stdout, result.stderr());
        }
    }
}
