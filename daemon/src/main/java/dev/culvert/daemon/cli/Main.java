package dev.culvert.daemon.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code culvert} command: the daemon and its tools. */
@Command(name = "culvert", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "User-space VPN daemon: VTUN's operating model, WireGuard's cryptography.",
        subcommands = {RunCommand.class, ShowCommand.class, ReloadCommand.class, CheckConfigCommand.class, GenkeyCommand.class, PubkeyCommand.class,
                GenpskCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    public static void main(String[] args) {
        leaveNameCachingToTheSystem();
        System.exit(execute(args));
    }

    /**
     * Turns off the JVM's own cache of host-name look-ups ({@code InetAddress}: answers kept 30 s, failures 10 s,
     * whatever the DNS TTL), so that every look-up of an endpoint's name asks the system resolver afresh: glibc
     * reads {@code /etc/hosts} each time, and a caching resolver in front (systemd-resolved, nscd, dnsmasq)
     * honours the records' TTLs. Culvert looks a name up only before handshake retries, at a silent peer's
     * keepalive and while a name has never resolved (issue 13, names that move) — a few look-ups a minute at
     * most, so a second cache only delays finding a server that moved. The security properties
     * {@code networkaddress.cache.ttl} and {@code networkaddress.cache.negative.ttl} (see the JDK's
     * {@code conf/security/java.security}) are read once, at the JVM's first look-up: this runs first in
     * {@link #main}.
     */
    static void leaveNameCachingToTheSystem() {
        java.security.Security.setProperty("networkaddress.cache.ttl", "0");
        java.security.Security.setProperty("networkaddress.cache.negative.ttl", "0");
    }

    /** Runs the command line and returns its exit code (0 ok, 1 failure, 2 usage). */
    public static int execute(String... args) {
        return new CommandLine(new Main())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .execute(args);
    }
}
