package dev.culvert.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One named point-to-point tunnel ({@code culvert.tunnels.<name>}).
 *
 * @param name                the tunnel's name, as VTUN's session name
 * @param device              the local tun or tap device
 * @param peer                the far end
 * @param transport           how packets travel
 * @param persistentKeepalive interval of keepalives sent even when idle; {@link Duration#ZERO} means off
 * @param compression         per-packet compression of what this site sends (Culvert to Culvert only)
 * @param persist             keep the device and retry the peer forever (VTUN's persist)
 * @param up                  commands run after the device is configured
 * @param down                commands run before the device is removed
 * @param hookTimeout         how long each hook may run
 * @param mssClamp            whether TCP SYNs crossing the tunnel get their MSS lowered ({@code mss-clamp})
 * @param legacy              the vtund session settings; present exactly when {@code transport} is
 *                            {@link TransportKind#VTUN_LEGACY}
 */
public record TunnelConfig(String name, DeviceConfig device, PeerConfig peer, TransportKind transport,
                           Duration persistentKeepalive, CompressionSetting compression, boolean persist,
                           List<String> up, List<String> down, Duration hookTimeout, MssClampSetting mssClamp,
                           Optional<LegacyConfig> legacy) {

    /** A tunnel that is not a vtun-legacy one. */
    public TunnelConfig(String name, DeviceConfig device, PeerConfig peer, TransportKind transport,
                        Duration persistentKeepalive, CompressionSetting compression, boolean persist,
                        List<String> up, List<String> down, Duration hookTimeout, MssClampSetting mssClamp) {
        this(name, device, peer, transport, persistentKeepalive, compression, persist, up, down, hookTimeout, mssClamp,
                Optional.empty());
    }

    /** Defaults for the VTUN-model keys: no compression, persist on, no hooks. */
    public static final Duration DEFAULT_HOOK_TIMEOUT = Duration.ofSeconds(30);

    /** A tunnel without MSS clamping. */
    public TunnelConfig(String name, DeviceConfig device, PeerConfig peer, TransportKind transport,
                        Duration persistentKeepalive, CompressionSetting compression, boolean persist,
                        List<String> up, List<String> down, Duration hookTimeout) {
        this(name, device, peer, transport, persistentKeepalive, compression, persist, up, down, hookTimeout,
                MssClampSetting.OFF);
    }

    public TunnelConfig(String name, DeviceConfig device, PeerConfig peer, TransportKind transport,
                        Duration persistentKeepalive) {
        this(name, device, peer, transport, persistentKeepalive, CompressionSetting.OFF, true, List.of(), List.of(),
                DEFAULT_HOOK_TIMEOUT);
    }

    /** Null-checks every component. */
    public TunnelConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(persistentKeepalive, "persistentKeepalive");
        Objects.requireNonNull(compression, "compression");
        up = List.copyOf(up);
        down = List.copyOf(down);
        Objects.requireNonNull(hookTimeout, "hookTimeout");
        Objects.requireNonNull(mssClamp, "mssClamp");
        Objects.requireNonNull(legacy, "legacy");
        if (legacy.isPresent() != (transport == TransportKind.VTUN_LEGACY)) {
            throw new IllegalArgumentException("legacy settings go with transport vtun-legacy, and only with it");
        }
    }

    /** True for {@code transport = vtun-legacy}: vtund's protocol, insecure (VTUN.md §3). */
    public boolean isLegacy() {
        return transport == TransportKind.VTUN_LEGACY;
    }

    /** True if this tunnel uses Culvert's extensions and so needs a Culvert peer (tap, compression or TCP). */
    public boolean culvertOnly() {
        return device.mode() == DeviceMode.TAP || compression.isOn() || transport == TransportKind.TCP;
    }

    /** True if persistent keepalive is on. */
    public boolean hasPersistentKeepalive() {
        return !persistentKeepalive.isZero();
    }
}
