package dev.culvert.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** transport = vtun-legacy: the legacy block and culvert.listen.vtun-legacy (VTUN.md §1, common.md Session 3). */
class LegacyKeysTest {

    @TempDir
    Path dir;
    Fixture fx;
    Path password;

    @BeforeEach
    void setUp() {
        fx = new Fixture(dir);
        password = fx.keyFile("cobra.pw", "Ma&^TU\n", "rw-------");
    }

    private String server(String legacyLines) {
        return """
                culvert {
                  private-key-file = "$KEY"
                  listen { vtun-legacy = "0.0.0.0:5000" }
                  tunnels {
                    cobra {
                      transport = vtun-legacy
                      device { address = "198.18.0.1/30" }
                      legacy {
                        password-file = "%s"
                        %s
                      }
                    }
                  }
                }
                """.formatted(password, legacyLines);
    }

    @Test
    void defaultsAreVtundsAndTheSessionIsTheTunnelName() throws Exception {
        CulvertConfig config = fx.parse(server(""));
        TunnelConfig t = config.tunnels().get("cobra");
        assertThat(t.isLegacy()).isTrue();
        LegacyConfig legacy = t.legacy().orElseThrow();
        assertThat(legacy.session()).isEqualTo("cobra");
        assertThat(legacy.passwordFile()).isEqualTo(password);
        assertThat(legacy.proto()).isEqualTo(LegacyConfig.Proto.TCP);
        assertThat(legacy.encrypt()).isEqualTo(LegacyConfig.Cipher.NO);
        assertThat(legacy.compress()).isEqualTo(LegacyConfig.Compress.NO);
        assertThat(legacy.keepalive().isOn()).isFalse();
        assertThat(config.listenVtunLegacy()).isPresent();
        assertThat(config.listenVtunLegacy().get().getPort()).isEqualTo(5000);
    }

    @Test
    void vtundsValuesAreRead() throws Exception {
        LegacyConfig legacy = fx.parse(server("""
                session = "my-host", proto = udp, encrypt = aes256cbc, compress = "lzo:9", keepalive = "10:3"
                """)).tunnels().get("cobra").legacy().orElseThrow();
        assertThat(legacy.session()).isEqualTo("my-host");
        assertThat(legacy.proto()).isEqualTo(LegacyConfig.Proto.UDP);
        assertThat(legacy.encrypt()).isEqualTo(LegacyConfig.Cipher.AES256CBC);
        assertThat(legacy.compress()).isEqualTo(new LegacyConfig.Compress(LegacyConfig.Compress.Kind.LZO, 9));
        assertThat(legacy.keepalive()).isEqualTo(new LegacyConfig.Keepalive(Duration.ofSeconds(10), 3));

        legacy = fx.parse(server("encrypt = yes, keepalive = yes, compress = \"zlib:1\""))
                .tunnels().get("cobra").legacy().orElseThrow();
        assertThat(legacy.encrypt()).isEqualTo(LegacyConfig.Cipher.BLOWFISH128ECB);
        assertThat(legacy.keepalive()).isEqualTo(LegacyConfig.Keepalive.YES);
        assertThat(legacy.compress().kind()).isEqualTo(LegacyConfig.Compress.Kind.ZLIB);
    }

    @Test
    void aPasswordFileOthersCanReadIsRefusedWithoutItsContent() {
        fx.keyFile("cobra.pw", "Ma&^TU\n", "rw-r--r--");
        ConfigProblem p = fx.problem(server(""));
        assertThat(p.toString()).contains("culvert.tunnels.cobra.legacy.password-file")
                .contains("readable by group or others").doesNotContain("Ma&^TU");
    }

    @Test
    void aMissingPasswordFileIsRequired() {
        ConfigProblem p = fx.problem(server("").replace("password-file = \"" + password + "\"", ""));
        assertThat(p.toString()).contains("legacy.password-file").contains("required");
    }

    @Test
    void zlibOverUdpAndBlowfishCbcAreRefusedWithTheReason() {
        assertThat(fx.problem(server("proto = udp, compress = \"zlib:6\"")).toString())
                .contains("legacy.compress").contains("zlib needs proto = tcp");
        assertThat(fx.problem(server("encrypt = blowfish128cbc")).toString())
                .contains("legacy.encrypt").contains("corrupts");
        assertThat(fx.problem(server("compress = \"lzo:0\"")).toString()).contains("lzo:1..9");
        assertThat(fx.problem(server("keepalive = \"10\"")).toString()).contains("INTERVAL:COUNT");
        assertThat(fx.problem(server("session = \"a:b\"")).toString()).contains("legacy.session");
    }

    @Test
    void aServerWithoutTheListenerOrAPublicKeyOnALegacyTunnelIsAProblem() {
        assertThat(fx.problem(server("").replace("listen { vtun-legacy = \"0.0.0.0:5000\" }", "")).toString())
                .contains("culvert.listen.vtun-legacy");
        assertThat(fx.problem(server("").replace("device {", "peer { public-key = \"$PUB1\" }\n device {"))
                .toString()).contains("peer.public-key").contains("no keys");
    }

    @Test
    void aLegacyBlockOnAnotherTransportIsAProblem() {
        String text = fx.minimal().replace("device {", "legacy { proto = udp }\n device {");
        assertThat(fx.problem(text).toString()).contains("legacy.proto").contains("only a tunnel with transport");
    }

    @Test
    void twoServerTunnelsMayNotServeOneSessionButAClientMayShareTheName() throws Exception {
        String two = server("").replace("    cobra {", "    viper {\n transport = vtun-legacy\n device { address = "
                + "\"198.18.0.5/30\" }\n legacy { session = cobra, password-file = \"" + password + "\" }\n }\n    cobra {");
        assertThat(fx.problem(two).toString()).contains("legacy.session").contains("serves vtund session 'cobra' too");
        String client = server("").replace("    cobra {", "    viper {\n transport = vtun-legacy\n device { address = "
                + "\"198.18.0.5/30\" }\n peer.endpoint = \"192.0.2.9:5000\"\n legacy { session = cobra, password-file = \""
                + password + "\" }\n }\n    cobra {");
        assertThat(fx.parse(client).tunnels()).containsOnlyKeys("viper", "cobra");
    }

    @Test
    void aPasswordFileMustHoldOneWord() {
        fx.keyFile("cobra.pw", "two words\n", "rw-------");
        assertThat(fx.problem(server("")).toString()).contains("more than one word").doesNotContain("two words");
        fx.keyFile("cobra.pw", "\n", "rw-------");
        assertThat(fx.problem(server("")).toString()).contains("is empty");
    }

    @Test
    void transportNamesAreListedWithDashes() {
        String text = fx.minimal().replace("device {", "transport = vtun\n device {");
        assertThat(fx.problem(text).toString()).contains("udp, tcp, vtun-legacy");
    }
}
