package dev.culvert.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

/**
 * Test helper: a directory with a private key and a preshared key (mode 0600), fresh public keys, and config
 * text with placeholders {@code $KEY}, {@code $PSK}, {@code $PUB1}, {@code $PUB2} filled in.
 */
final class Fixture {

    static final String ORIGIN = "site-a.conf";
    private static final SecureRandom RANDOM = new SecureRandom();

    final Path dir;
    final Path privateKey;
    final Path presharedKey;
    final String pub1 = randomKey();
    final String pub2 = randomKey();

    Fixture(Path dir) {
        this.dir = dir;
        this.privateKey = keyFile("site-a.key", randomKey() + "\n", "rw-------");
        this.presharedKey = keyFile("site-b.psk", randomKey() + "\n", "rw-------");
    }

    static String randomKey() {
        byte[] key = new byte[KeyFiles.KEY_BYTES];
        RANDOM.nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    Path keyFile(String name, String content, String mode) {
        try {
            Path file = dir.resolve(name);
            Files.writeString(file, content, StandardCharsets.US_ASCII);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String fill(String text) {
        return text.replace("$KEY", privateKey.toString()).replace("$PSK", presharedKey.toString())
                .replace("$PUB1", pub1).replace("$PUB2", pub2);
    }

    /** A small valid config with one tunnel, site-b. */
    String minimal() {
        return """
                culvert {
                  private-key-file = "$KEY"
                  listen { udp = ":51820" }
                  tunnels {
                    site-b {
                      device { address = "198.18.0.1/30", routes = ["198.51.100.0/24"] }
                      peer { public-key = "$PUB1", endpoint = "203.0.113.7:51820", allowed-ips = ["198.18.0.2/32"] }
                    }
                  }
                }
                """;
    }

    CulvertConfig parse(String text) throws ConfigException {
        return ConfigLoader.parse(fill(text), ORIGIN);
    }

    /** Parses text that must fail, and returns its problems. */
    List<ConfigProblem> problems(String text) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> parse(text));
        assertThat(e).as("expected a ConfigException for:%n%s", text).isNotNull();
        assertThat(e.getMessage().lines()).hasSize(e.problems().size());
        return e.problems();
    }

    /** Parses text that must fail with exactly one problem, and returns it. */
    ConfigProblem problem(String text) {
        List<ConfigProblem> problems = problems(text);
        assertThat(problems).as("problems").hasSize(1);
        return problems.get(0);
    }

    /** The 1-based number of the first line of {@code text} that contains {@code marker}. */
    static int lineOf(String text, String marker) {
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(marker)) {
                return i + 1;
            }
        }
        throw new AssertionError("no line contains " + marker);
    }
}
