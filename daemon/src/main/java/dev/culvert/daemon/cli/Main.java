package dev.culvert.daemon.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code culvert} command: the daemon and its tools. {@code scope = INHERIT} gives every subcommand, present and
 * future, {@code -h}/{@code --help} (usage on stdout, exit 0, required options not asked for) and
 * {@code -V}/{@code --version} (issue 11).
 */
@Command(name = "culvert", scope = CommandLine.ScopeType.INHERIT, mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "User-space VPN daemon: VTUN's operating model, WireGuard's cryptography.",
        subcommands = {RunCommand.class, ShowCommand.class, ReloadCommand.class, CheckConfigCommand.class, GenkeyCommand.class, PubkeyCommand.class, ImportVtundCommand.class,
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
        giveNettyAMachineId();
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

    /**
     * Sets {@code io.netty.machineId} to 8 random bytes unless the operator set it (issue 11: no third-party
     * warning at an ordinary start). Netty mixes a machine id into every {@code ChannelId}, a label Culvert never
     * relies on; without the property it looks for a network interface's hardware address and, where there is
     * none it likes (a container or namespace with only loopback and point-to-point links), warns "Failed to find
     * a usable hardware address from the network interfaces; using random bytes" and uses random bytes. Random
     * bytes from the start are the same outcome without the failed look-up, and without silencing Netty's logger
     * ({@code io.netty.channel.DefaultChannelId}), whose other warnings stay visible. Netty reads the property once,
     * when {@code DefaultChannelId} is loaded: this runs first in {@link #main}.
     */
    static void giveNettyAMachineId() {
        if (System.getProperty(NETTY_MACHINE_ID) == null) {
            byte[] id = new byte[8];
            new java.security.SecureRandom().nextBytes(id);
            java.util.StringJoiner hex = new java.util.StringJoiner(":");
            for (byte b : id) {
                hex.add(String.format("%02x", b & 0xff));
            }
            System.setProperty(NETTY_MACHINE_ID, hex.toString());
        }
    }

    static final String NETTY_MACHINE_ID = "io.netty.machineId";

    /** Runs the command line and returns its exit code (0 ok, 1 failure, 2 usage). */
    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    /** The command line as {@link #execute} runs it; a test may redirect its output with {@code setOut}. */
    static CommandLine commandLine() {
        CommandLine line = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
        CommandLine.IExecutionStrategy runLast = new CommandLine.RunLast();
        return line.setExecutionStrategy(parseResult -> {
            rejectUnmatched(parseResult);
            return runLast.execute(parseResult);
        });
    }

    /**
     * A word no command takes is a usage error (exit 2, usage on stderr) even when {@code -h}/{@code -V} is given:
     * picocli lets a help request excuse unmatched arguments, so {@code culvert bogus -h} printed the main usage
     * and exited 0 (found by a new-user test).
     */
    private static void rejectUnmatched(CommandLine.ParseResult parseResult) {
        for (CommandLine.ParseResult p = parseResult; p != null; p = p.subcommand()) {
            if (!p.unmatched().isEmpty()) {
                throw new CommandLine.UnmatchedArgumentException(p.commandSpec().commandLine(), p.unmatched());
            }
        }
    }
}
