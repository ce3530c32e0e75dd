package dev.culvert.daemon;

import static dev.culvert.daemon.TwinPackets.ipv4;
import static dev.culvert.daemon.TwinPackets.take;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.config.ConfigLoader;
import dev.culvert.config.KeyFiles;
import dev.culvert.crypto.Keys;
import dev.culvert.daemon.control.ControlClient;
import dev.culvert.daemon.control.Status;
import dev.culvert.daemon.control.StatusText;
import dev.culvert.protocol.Peer;
import dev.culvert.protocol.noise.LocalStatic;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
/**
 * SECURITY.md, "Nothing secret in logs, metrics or show": two whole daemons over the twins with a preshared
 * key, every logger at its finest, a handshake, traffic, a reload and a stop. Every log record, the metrics
 * scrape, and {@code culvert show} (JSON and text) are searched for both private keys, the PSK and the four
 * session keys, in base64 (standard and URL-safe) and hex (both cases). Also: a stopped daemon has wiped its
 * private key.
 */
class NoSecretsInOutputsTest extends TwinSitesFixture {
    private static final List<String> LOGGERS = List.of("", "culvert", "dev.culvert", "io.netty");

    private LogLines logs;

    @BeforeEach
    void logEverything() {
        logs = LogLines.everything(LOGGERS);
    }

    @AfterEach
    void stop() {
        logs.close();
    }

    @Test
    void noKeyAppearsInLogsMetricsOrShow() throws Exception {
        String publicA = TwinHosts.writeKey(dir.resolve("a.key"));
        String publicB = TwinHosts.writeKey(dir.resolve("b.key"));
        byte[] psk = new byte[32];
        new SecureRandom().nextBytes(psk);
        Files.createFile(dir.resolve("ab.psk"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(dir.resolve("ab.psk"), Keys.encode(psk) + "\n");

        Daemon a = start("a.conf", """
                culvert {
                  private-key-file = a.key
                  listen.udp = "192.0.2.1:51820"
                  log-level = trace
                  metrics.bind = off
                  control.socket = a.sock
                  tunnels.t1 {
                    device { name = cv-a1, address = "198.18.0.1/30" }
                    peer { public-key = "%s", preshared-key-file = ab.psk, allowed-ips = ["198.18.0.2/32"] }
                  }
                }
                """.formatted(publicB), hostA);
        Daemon b = start("b.conf", """
                culvert {
                  private-key-file = b.key
                  log-level = trace
                  metrics.bind = off
                  control.socket = b.sock
                  tunnels.t1 {
                    device { name = cv-b1, address = "198.18.0.2/30" }
                    peer { public-key = "%s", preshared-key-file = ab.psk, endpoint = "192.0.2.1:51820",
                           allowed-ips = ["198.18.0.1/32"] }
                  }
                }
                """.formatted(publicA), hostB);
        hostB.devices.get("cv-b1").inject(ipv4(2, 1, 84, 1));
        await().atMost(15, TimeUnit.SECONDS).until(() -> state(a) == Peer.State.UP && state(b) == Peer.State.UP);
        assertThat(take(hostA.devices.get("cv-a1"))).isEqualTo(ipv4(2, 1, 84, 1));
        hostA.devices.get("cv-a1").inject(ipv4(1, 2, 1000, 7));
        assertThat(take(hostB.devices.get("cv-b1"))).isEqualTo(ipv4(1, 2, 1000, 7));

        Map<String, byte[]> secrets = new LinkedHashMap<>();
        secrets.put("a's private key", KeyFiles.readKey(dir.resolve("a.key")));
        secrets.put("b's private key", KeyFiles.readKey(dir.resolve("b.key")));
        secrets.put("the preshared key", psk);
        secrets.putAll(sessionKeys("a", a));
        secrets.putAll(sessionKeys("b", b));
        assertThat(secrets).hasSize(7);
        assertThat(secrets.get("a send key")).isEqualTo(secrets.get("b receive key")); // the probe reads real keys

        List<String> outputs = new ArrayList<>();
        for (String socket : List.of("a.sock", "b.sock")) {
            String json = ControlClient.request(dir.resolve(socket), "show");
            outputs.add(json);
            outputs.add(StatusText.render(Status.fromJson(json), System.currentTimeMillis() / 1000));
            outputs.add(ControlClient.request(dir.resolve(socket), "show t1"));
        }
        outputs.add(a.scrapeMetrics());
        outputs.add(b.scrapeMetrics());
        outputs.add(String.valueOf(a.reload(ConfigLoader.load(dir.resolve("a.conf"))))); // probes the key file again
        LocalStatic localA = local(a);
        a.close();
        b.close();
        List<String> logged = logs.lines();
        outputs.addAll(logged);
        assertThat(logged).as("the run logged at debug and finer").hasSizeGreaterThan(10);
        assertThat(String.join("\n", outputs)).contains(publicA, publicB); // the public keys may appear

        String all = String.join("\n", outputs);
        for (Map.Entry<String, byte[]> secret : secrets.entrySet()) {
            for (String form : forms(secret.getValue())) {
                assertThat(all).as("%s as %s", secret.getKey(), form).doesNotContain(form);
            }
        }
        assertThat(localA.isDestroyed()).as("a stopped daemon wipes its private key").isTrue();
    }

    /** Standard and URL-safe base64 (with and without padding), lower- and upper-case hex. */
    private static List<String> forms(byte[] key) {
        String base64 = Base64.getEncoder().encodeToString(key);
        String url = Base64.getUrlEncoder().encodeToString(key);
        String hex = HexFormat.of().formatHex(key);
        return List.of(base64, base64.substring(0, 43), url, url.substring(0, 43), hex, hex.toUpperCase());
    }

    private static Peer peer(Daemon daemon) throws Exception {
        Tunnel tunnel = daemon.tunnels().stream().filter(t -> t.name().equals("t1")).findFirst().orElseThrow();
        return (Peer) field(tunnel, "peer");
    }

    private static Peer.State state(Daemon daemon) {
        return daemon.tunnels().stream().filter(t -> t.name().equals("t1")).findFirst().orElseThrow().state();
    }

    private static LocalStatic local(Daemon daemon) throws Exception {
        return (LocalStatic) field(daemon, "local");
    }

    /** The current keypair's two keys, read out of the cipher objects by reflection (they are nowhere else). */
    private static Map<String, byte[]> sessionKeys(String site, Daemon daemon) throws Exception {
        Object keypair = field(field(peer(daemon), "keypairs"), "current");
        Map<String, byte[]> keys = new LinkedHashMap<>();
        keys.put(site + " send key", cipherKey(field(keypair, "sender")));
        keys.put(site + " receive key", cipherKey(field(keypair, "receiver")));
        return keys;
    }

    private static byte[] cipherKey(Object dataCipher) throws Exception {
        Object key = field(field(dataCipher, "engine"), "key");
        if (key instanceof SecretKey secret) {
            return secret.getEncoded();
        }
        return (byte[]) key.getClass().getMethod("getKey").invoke(key); // Bouncy Castle's KeyParameter
    }

    private static Object field(Object owner, String name) throws Exception {
        for (Class<?> c = owner.getClass(); c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f.get(owner);
            } catch (NoSuchFieldException e) {
                // look in the superclass
            }
        }
        throw new NoSuchFieldException(owner.getClass() + "." + name);
    }
}
