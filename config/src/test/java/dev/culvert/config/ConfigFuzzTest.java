package dev.culvert.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.file.Path;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input never escapes as anything but a {@link ConfigException} (or {@link IllegalArgumentException} from
 * the value parsers). Seeded, so a failure names the seed and case that reproduce it.
 */
class ConfigFuzzTest {

    private static final long SEED = 0xC0FFEE_2025L;
    private static final int CASES = 1500;
    /** Characters that matter to HOCON and to the value parsers, plus a few ordinary ones. */
    private static final String ALPHABET = "{}[]=:,\"'$?./\\#\n \t+-_%*@0123456789abcdefmtuABCXYZ\u00e9\u0000";

    @TempDir
    Path dir;
    Fixture fx;

    @BeforeEach
    void setUp() {
        fx = new Fixture(dir);
    }

    @Test
    void garbageTextGivesOnlyConfigExceptions() {
        Random random = new Random(SEED);
        for (int i = 0; i < CASES; i++) {
            String text = garbage(random, random.nextInt(200));
            expectOnlyConfigException(i, text);
        }
    }

    @Test
    void mutatedValidConfigGivesAConfigOrAConfigException() {
        String valid = fx.fill("""
                culvert {
                  private-key-file = "$KEY"
                  listen { udp = "[2001:db8::1]:51820" }
                  tunnels {
                    site-b {
                      device { name = "cv-b", mode = tap, mtu = 1400, address = "198.18.0.1/30",
                               routes = ["198.51.100.0/24", "2001:db8::/32"] }
                      peer { public-key = "$PUB1", preshared-key-file = "$PSK",
                             endpoint = "vpn.example.net:51820", allowed-ips = ["198.18.0.2/32"] }
                      transport = udp
                      keepalive { persistent = 25s }
                    }
                    site-c.peer.public-key = "$PUB2"
                  }
                }
                """);
        Random random = new Random(SEED);
        for (int i = 0; i < CASES; i++) {
            StringBuilder text = new StringBuilder(valid);
            for (int edits = 1 + random.nextInt(3); edits > 0; edits--) {
                int at = random.nextInt(text.length());
                switch (random.nextInt(3)) {
                    case 0 -> text.deleteCharAt(at);
                    case 1 -> text.insert(at, garbage(random, 1 + random.nextInt(3)));
                    default -> text.setCharAt(at, ALPHABET.charAt(random.nextInt(ALPHABET.length())));
                }
            }
            expectOnlyConfigException(i, text.toString());
        }
    }

    @Test
    void valueParsersThrowOnlyIllegalArgument() {
        Random random = new Random(SEED);
        for (int i = 0; i < CASES * 4; i++) {
            String text = garbage(random, random.nextInt(24));
            onlyIllegalArgument(i, text, Cidr::parse);
            onlyIllegalArgument(i, text, Endpoint::parse);
            onlyIllegalArgument(i, text, ListenAddress::parse);
            onlyIllegalArgument(i, text, Values::network);
            onlyIllegalArgument(i, text, Values::deviceName);
            onlyIllegalArgument(i, text, Durations::parse);
        }
    }

    private void expectOnlyConfigException(int i, String text) {
        try {
            fx.parse(text);
        } catch (ConfigException e) {
            assertThat(e.problems()).isNotEmpty().allSatisfy(p -> assertThat(p.message()).isNotBlank());
        } catch (RuntimeException | Error e) {
            fail("case " + i + " (seed " + SEED + ") threw " + e + " for:\n" + text, e);
        }
    }

    private static void onlyIllegalArgument(int i, String text, Consumer<String> parser) {
        try {
            parser.accept(text);
        } catch (IllegalArgumentException expected) {
            assertThat(expected.getMessage()).as("message for '%s'", text).isNotBlank();
        } catch (RuntimeException e) {
            fail("case " + i + " (seed " + SEED + ") threw " + e + " for '" + text + "'", e);
        }
    }

    private static String garbage(Random random, int length) {
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return out.toString();
    }
}
