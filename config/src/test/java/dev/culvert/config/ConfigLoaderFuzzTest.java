package dev.culvert.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Jazzer fuzz target for the HOCON config loader as {@code culvert check-config} and the daemon use it
 * ({@link ConfigLoader#load}): text in, a config or a {@link ConfigException} out — never another exception or
 * error. A ConfigException lists at least one problem, each with a message, one line per problem.
 *
 * <p>Input: byte 0 below 0x80: the rest is the file's text (UTF-8; {@code $KEY}, {@code $PSK}, {@code $PUB1},
 * {@code $PUB2} are filled in as in {@link Fixture}); from 0x80: a valid config edited by the rest of the input,
 * three bytes per edit (position u16 BE, then an operation byte whose top two bits pick delete, insert a HOCON or
 * schema token, insert a character, or replace a character). The file, the key files and anything the text
 * includes stay in one temporary directory, removed afterwards.
 */
class ConfigLoaderFuzzTest {
    private static final String VALID = """
            culvert {
              private-key-file = "$KEY"
              listen { udp = "[2001:db8::1]:51820", tcp = ":443" }
              control-socket = "/run/culvert/control.sock"
              tunnels {
                site-b {
                  device { name = "cv-b", mode = tap, mtu = 1400, address = "198.18.0.1/30",
                           routes = ["198.51.100.0/24", "2001:db8::/32"] }
                  peer { public-key = "$PUB1", preshared-key-file = "$PSK",
                         endpoint = "vpn.example.net:51820", allowed-ips = ["198.18.0.2/32"] }
                  transport = udp
                  compression = "zlib:6"
                  keepalive { persistent = 25s }
                  up = ["ip link set %dev% up", "logger 'tunnel %name% up'"]
                }
                site-c.peer.public-key = "$PUB2"
                site-c.device.address = "198.18.0.5/30"
              }
            }
            """;
    private static final String CHARACTERS = "{}[]=:,\"'$?./\\#\n \t+-_%*@0123456789abcdefmtuABCXYZ\u00e9\u0000";
    private static final String[] TOKENS = {
        "include ", "include \"other.conf\"\n", "include required(file(\"missing.conf\"))\n", "${", "${?HOME}",
        "${culvert.listen.udp}", "\"\"\"", "+=", "null", "true", "tunnels", "peer", "device", "mtu", "listen",
        "tcp", "udp", "allowed-ips", "endpoint", "up", "down", "compression", "lz4", "zlib:9", "tap", "tun", "-1",
        "99999999999999999999", "0.0.0.0", "\"[::]:0\"", "%dev%", "\\u0000", "mode", "routes", "address", "name",
        "public-key", "private-key-file", "preshared-key", "keepalive", "transport", "offload", "mss-clamp",
        "site-b", "site-b {}", "\"a.b\"", "1e400", "0x10", "25ms", "1 d", "[]", "{}", ".", "//"};

    private static Path dir;
    private static Fixture fixture;
    private static String valid;

    private static synchronized Fixture fixture() {
        if (fixture == null) {
            try {
                dir = Files.createTempDirectory("culvert-config-fuzz");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            fixture = new Fixture(dir);
            valid = fixture.fill(VALID);
            // A sibling file the text may include.
            write(dir.resolve("other.conf"), "culvert.tunnels.site-d.peer.public-key = \"" + fixture.pub2 + "\"\n");
        }
        return fixture;
    }

    @AfterAll
    static void removeDirectory() throws IOException {
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            dir = null;
            fixture = null;
        }
    }

    @FuzzTest(maxDuration = "30s")
    void hoconText(byte[] data) {
        Fixture fx = fixture();
        String text = text(fx, data);
        Path file = dir.resolve("culvert.conf");
        write(file, text);
        try {
            CulvertConfig config = ConfigLoader.load(file);
            assertThat(config).isNotNull();
        } catch (ConfigException e) {
            assertThat(e.problems()).as("a ConfigException names its problems").isNotEmpty();
            assertThat(e.problems()).allSatisfy(p -> assertThat(p.message()).isNotBlank());
            assertThat(e.getMessage().lines()).as("one line per problem").hasSize(e.problems().size());
        }
    }

    private static String text(Fixture fx, byte[] data) {
        int mode = data.length == 0 ? 0 : data[0] & 0xFF;
        if (mode < 0x80) {
            return fx.fill(data.length == 0 ? "" : new String(data, 1, data.length - 1, StandardCharsets.UTF_8));
        }
        StringBuilder text = new StringBuilder(valid);
        for (int i = 1; i + 2 < data.length; i += 3) {
            int at = ((data[i] & 0xFF) << 8 | (data[i + 1] & 0xFF)) % (text.length() + 1);
            int op = data[i + 2] & 0xFF;
            int arg = op & 0x3F;
            switch (op >>> 6) {
                case 0 -> {
                    if (at < text.length()) {
                        text.deleteCharAt(at);
                    }
                }
                case 1 -> text.insert(at, TOKENS[arg % TOKENS.length]);
                case 2 -> text.insert(at, CHARACTERS.charAt(arg % CHARACTERS.length()));
                default -> {
                    if (at < text.length()) {
                        text.setCharAt(at, CHARACTERS.charAt(arg % CHARACTERS.length()));
                    }
                }
            }
        }
        return text.toString();
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
