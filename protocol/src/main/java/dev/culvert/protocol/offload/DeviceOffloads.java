package dev.culvert.protocol.offload;

/**
 * What a tun/tap device was opened with and what offloads its kernel accepted ({@code TUNSETOFFLOAD},
 * {@code <linux/if_tun.h>}). With {@link #vnetHeader} every packet read from or written to the device
 * starts with a {@link VirtioNetHdr}; the other flags say which super-packets the kernel may hand us
 * (and accepts from us): {@code csum} = {@code TUN_F_CSUM} (checksum left partial), {@code tso4}/{@code tso6}
 * = {@code TUN_F_TSO4/6} (TCP segmentation), {@code uso4}/{@code uso6} = {@code TUN_F_USO4/6} (UDP
 * segmentation, Linux 6.2+).
 */
public record DeviceOffloads(boolean vnetHeader, boolean csum, boolean tso4, boolean tso6, boolean uso4,
                             boolean uso6) {

    /** A plain device: no header, no offloads. */
    public static final DeviceOffloads NONE = new DeviceOffloads(false, false, false, false, false, false);

    public DeviceOffloads {
        if (!vnetHeader && (csum || tso4 || tso6 || uso4 || uso6)) {
            throw new IllegalArgumentException("offloads need the virtio-net header");
        }
        if (!csum && (tso4 || tso6 || uso4 || uso6)) {
            throw new IllegalArgumentException("segmentation offloads need checksum offload (TUN_F_CSUM)");
        }
    }

    /** Whether any segmentation offload is on. */
    public boolean segmentation() {
        return tso4 || tso6 || uso4 || uso6;
    }

    /** For logs: e.g. {@code "csum tso4 tso6 uso4 uso6"}, {@code "vnet-hdr only"} or {@code "off"}. */
    public String describe() {
        if (!vnetHeader) {
            return "off";
        }
        StringBuilder b = new StringBuilder();
        append(b, csum, "csum");
        append(b, tso4, "tso4");
        append(b, tso6, "tso6");
        append(b, uso4, "uso4");
        append(b, uso6, "uso6");
        return b.length() == 0 ? "vnet-hdr only" : b.toString();
    }

    private static void append(StringBuilder b, boolean on, String name) {
        if (on) {
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(name);
        }
    }
}
