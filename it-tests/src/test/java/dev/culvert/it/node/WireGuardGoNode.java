package dev.culvert.it.node;

import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.Exec;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.SafeAddresses;
import dev.culvert.it.harness.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Debian's {@code wireguard-go} in a namespace, configured with {@code wg set} and {@code ip}:
 * the reference peer for interop tests, and the way to prove the harness itself works.
 *
 * <p>wireguard-go keeps its control socket at {@code /var/run/wireguard/<dev>.sock}, which is
 * not per namespace, so every node gets a device name of its own ({@code cvwg<random>}).
 */
public final class WireGuardGoNode implements TunnelNode {

    /** wireguard-go refuses to run on Linux without this (the kernel module is preferred). */
    public static final Map<String, String> ENV = Map.of("WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD", "1");

    /** Where wireguard-go puts its control sockets. */
    public static final Path SOCKET_DIR = Path.of("/var/run/wireguard");

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Netns netns;
    private final String name;
    private final Path dir;
    private final Path privateKeyFile;
    private final String publicKey;
    private final String deviceName;
    private LinkSpec link;
    private BackgroundProcess process;

    /** Generates a key pair with {@code wg genkey}/{@code wg pubkey} for a node that will run in {@code netns}. */
    public WireGuardGoNode(Netns netns, String name) {
        this.netns = netns;
        this.name = name;
        this.dir = Workspace.newDir("wggo-" + name);
        String privateKey = Exec.run("wg", "genkey").requireSuccess().stdout().strip();
        this.privateKeyFile = KeyFiles.writeSecret(dir.resolve(name + ".key"), privateKey);
        this.publicKey = Exec.run(List.of("wg", "pubkey"), privateKey + "\n", Map.of(), Exec.DEFAULT_TIMEOUT)
                .requireSuccess().stdout().strip();
        this.deviceName = "cvwg" + HexFormat.of().formatHex(randomBytes(3));
    }

    @Override
    public Netns netns() {
        return netns;
    }

    @Override
    public String publicKey() {
        return publicKey;
    }

    @Override
    public String deviceName() {
        return deviceName;
    }

    @Override
    public String tunnelIp() {
        if (link == null) {
            throw new IllegalStateException("wireguard-go " + name + " was not started");
        }
        return link.ip();
    }

    /**
     * Starts wireguard-go in the foreground, then configures key, port, peer, address, MTU and routes.
     * The device name in {@code link} is ignored: this node's own unique name is used.
     *
     * @param listenUdp {@code host:port} whose port it listens on (wireguard-go binds all addresses),
     *                  or empty for a random port
     */
    public WireGuardGoNode start(Optional<String> listenUdp, LinkSpec link, PeerSpec peer) {
        listenUdp.ifPresent(SafeAddresses::requireUnderlay);
        this.link = new LinkSpec(deviceName, link.address(), link.mtu(), link.routes());
        Path socket = SOCKET_DIR.resolve(deviceName + ".sock");
        process = netns.spawn("wireguard-go-" + name, ENV, List.of("wireguard-go", "-f", deviceName));
        await("wireguard-go " + name + " control socket " + socket)
                .atMost(START_TIMEOUT)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new AssertionError("wireguard-go " + name + " exited early; stderr:\n" + process.stderr());
                    }
                    return Files.exists(socket) && netns.hasLink(deviceName);
                });
        netns.exec(setCommand(listenUdp, peer).toArray(String[]::new)).requireSuccess();
        netns.ip("address", "add", link.address(), "dev", deviceName);
        netns.ip("link", "set", deviceName, "mtu", Integer.toString(link.mtu()), "up");
        for (String route : link.routes()) {
            netns.ip("route", "add", route, "dev", deviceName);
        }
        return this;
    }

    /**
     * Points the peer at a new endpoint with {@code wg set DEV peer KEY endpoint HOST:PORT}: the session stays, the
     * next packet goes there (how a roaming client moves, e.g. from its IPv4 to its IPv6 address).
     *
     * @param hostPort {@code 192.0.2.1:51820} or {@code [2001:db8:1::1]:51820}, documentation ranges only
     */
    public void setPeerEndpoint(String peerKey, String hostPort) {
        SafeAddresses.requireUnderlay(hostPort);
        netns.exec("wg", "set", deviceName, "peer", peerKey, "endpoint", hostPort).requireSuccess();
    }

    /** SIGTERM; wireguard-go removes its device on the way out. */
    public void stop() {
        if (process != null) {
            process.terminate(BackgroundProcess.GRACE);
        }
    }

    @Override
    public void close() {
        if (process != null) {
            process.close();
        }
    }

    @Override
    public String toString() {
        return "wireguard-go " + name + " (" + deviceName + ") in " + netns;
    }

    private List<String> setCommand(Optional<String> listenUdp, PeerSpec peer) {
        List<String> command = new ArrayList<>(List.of("wg", "set", deviceName, "private-key", privateKeyFile.toString()));
        listenUdp.ifPresent(hostPort -> {
            command.add("listen-port");
            command.add(hostPort.substring(hostPort.lastIndexOf(':') + 1));
        });
        command.add("peer");
        command.add(peer.publicKey());
        peer.presharedKeyFile().ifPresent(psk -> {
            command.add("preshared-key");
            command.add(psk.toString());
        });
        peer.endpoint().ifPresent(endpoint -> {
            command.add("endpoint");
            command.add(endpoint);
        });
        if (peer.persistentKeepaliveSeconds() > 0) {
            command.add("persistent-keepalive");
            command.add(Integer.toString(peer.persistentKeepaliveSeconds()));
        }
        command.add("allowed-ips");
        command.add(String.join(",", peer.allowedIps()));
        return command;
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
