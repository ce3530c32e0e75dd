package dev.culvert.it.node;

import dev.culvert.it.harness.Exec;
import dev.culvert.it.harness.ExecResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The unpacked distribution that {@code mvn package} leaves in {@code packaging/target/culvert},
 * run exactly as a user runs it: through {@code bin/culvert}.
 */
public final class CulvertDistribution {

    /** Set by failsafe (see it-tests/pom.xml) to the unpacked distribution. */
    public static final String HOME_PROPERTY = "culvert.home";

    /** A JVM start plus a small command: generous for a loaded 2-core CI machine. */
    public static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);

    /** Curve25519 keys and WireGuard preshared keys are 32 bytes. */
    public static final int KEY_LENGTH = 32;

    private final Path home;

    private CulvertDistribution(Path home) {
        this.home = home;
    }

    /**
     * The distribution named by {@value #HOME_PROPERTY}.
     *
     * @throws AssertionError if it is not there: the distribution is built before these tests,
     *                        so its absence is a build problem, never a reason to skip
     */
    public static CulvertDistribution locate() {
        String property = System.getProperty(HOME_PROPERTY);
        if (property == null) {
            throw new AssertionError("system property " + HOME_PROPERTY + " is not set; run the tests with "
                    + "'mvn -B verify' from the repository root (failsafe sets it)");
        }
        Path home = Path.of(property).toAbsolutePath().normalize();
        Path launcher = home.resolve("bin/culvert");
        if (!Files.isExecutable(launcher)) {
            throw new AssertionError(launcher + " is missing or not executable; build the distribution first "
                    + "('mvn -B -DskipTests package' from the repository root)");
        }
        return new CulvertDistribution(home);
    }

    /** The distribution's root folder. */
    public Path home() {
        return home;
    }

    /** {@code bin/culvert}. */
    public Path launcher() {
        return home.resolve("bin/culvert");
    }

    /** The command line {@code bin/culvert <args>}. */
    public List<String> command(String... args) {
        List<String> command = new ArrayList<>();
        command.add(launcher().toString());
        command.addAll(List.of(args));
        return command;
    }

    /** Runs {@code culvert <args>} on the host, feeding {@code stdin} (or nothing). */
    public ExecResult run(String stdin, String... args) {
        return Exec.run(command(args), stdin, Map.of(), CLI_TIMEOUT);
    }

    /** {@code culvert genkey}: a new private key, base64. */
    public String genkey() {
        return requireKey("genkey", run(null, "genkey"));
    }

    /** {@code culvert pubkey}: the public key of {@code privateKey}, base64. */
    public String pubkey(String privateKey) {
        return requireKey("pubkey", run(privateKey + "\n", "pubkey"));
    }

    /** {@code culvert genpsk}: a new preshared key, base64. */
    public String genpsk() {
        return requireKey("genpsk", run(null, "genpsk"));
    }

    /**
     * The key a key command printed: one line of base64 for 32 bytes, as {@code wg} prints.
     * What it printed instead is not repeated when it might be a key (secrets stay out of messages).
     */
    private static String requireKey(String command, ExecResult result) {
        if (!result.ok()) {
            throw new AssertionError("culvert " + command + " failed with exit code " + result.exitCode()
                    + "; stderr: " + result.stderr().strip());
        }
        String key = result.stdout().strip();
        try {
            if (Base64.getDecoder().decode(key).length == KEY_LENGTH && !key.contains("\n")) {
                return key;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new AssertionError("culvert " + command + " did not print one base64 key of " + KEY_LENGTH
                + " bytes (stdout was " + key.length() + " characters on " + key.lines().count() + " lines)");
    }

    /** {@code culvert check-config <file>}, whatever its outcome. */
    public ExecResult checkConfig(Path config) {
        return run(null, "check-config", config.toString());
    }
}
