package dev.culvert.daemon.tun;

/**
 * The JNI shim ({@code src/main/c/culvert_tun.c}). It only opens devices and sets their virtio-net
 * header size and offloads ({@code <linux/if_tun.h>}). Errors come back as {@code -errno} and are turned
 * into messages by {@link TunErrors}; nothing is thrown from C.
 */
final class TunNative {

    private static volatile boolean loaded;

    private TunNative() {
    }

    /**
     * Loads {@code libculvert-tun.so} once (see {@link NativeLibraryLoader} for where it is looked
     * for).
     *
     * @throws TunException if the library cannot be found or loaded
     */
    static void load() throws TunException {
        if (loaded) {
            return;
        }
        synchronized (TunNative.class) {
            if (!loaded) {
                NativeLibraryLoader.load(NativeLibraryLoader.TUN_LIBRARY);
                loaded = true;
            }
        }
    }

    /** {@code IFF_VNET_HDR}: every packet read or written starts with a {@code struct virtio_net_hdr}. */
    static final int IFF_VNET_HDR = 0x4000;
    /** {@code IFF_MULTI_QUEUE}: each open of the same name attaches one more queue (its own fd). */
    static final int IFF_MULTI_QUEUE = 0x0100;

    /**
     * {@code IFF_TUN_EXCL}: create the interface or fail with {@code EBUSY} if one of that name already exists
     * (whoever made it), never attach to it.
     */
    static final int IFF_TUN_EXCL = 0x8000;
    /** {@code IFF_PERSIST}, as {@link #getFlags} reports it: the device outlives its file descriptors. */
    static final int IFF_PERSIST = 0x0800;

    /** {@code TUN_F_CSUM}: packets may come with a partial checksum ({@code VIRTIO_NET_HDR_F_NEEDS_CSUM}). */
    static final int TUN_F_CSUM = 0x01;
    /** {@code TUN_F_TSO4}: TCP over IPv4 super-packets ({@code VIRTIO_NET_HDR_GSO_TCPV4}). */
    static final int TUN_F_TSO4 = 0x02;
    /** {@code TUN_F_TSO6}: TCP over IPv6 super-packets ({@code VIRTIO_NET_HDR_GSO_TCPV6}). */
    static final int TUN_F_TSO6 = 0x04;
    /** {@code TUN_F_USO4}: UDP over IPv4 super-packets ({@code VIRTIO_NET_HDR_GSO_UDP_L4}), Linux 6.2+. */
    static final int TUN_F_USO4 = 0x20;
    /** {@code TUN_F_USO6}: UDP over IPv6 super-packets ({@code VIRTIO_NET_HDR_GSO_UDP_L4}), Linux 6.2+. */
    static final int TUN_F_USO6 = 0x40;

    /**
     * Opens {@code /dev/net/tun} with {@code O_RDWR|O_NONBLOCK|O_CLOEXEC} and attaches it with
     * {@code TUNSETIFF} ({@code IFF_TUN} or {@code IFF_TAP}, {@code IFF_NO_PI}, and {@code flags}) to the
     * interface of exactly this name, creating it if it does not exist.
     *
     * @param flags {@link #IFF_VNET_HDR}, {@link #IFF_MULTI_QUEUE} and/or {@link #IFF_TUN_EXCL}, or 0; other
     *              bits give {@code -EINVAL}
     * @return the file descriptor, or {@code -errno} ({@code -EBUSY} with {@link #IFF_TUN_EXCL} if the name
     *         exists)
     */
    static native int open(String name, boolean tap, int flags);

    /**
     * {@code ioctl(fd, TUNGETIFF)}: the attached device's flags ({@code IFF_TUN}/{@code IFF_TAP},
     * {@code IFF_NO_PI}, {@link #IFF_PERSIST}, ...) as an unsigned 16-bit value.
     *
     * @return the flags (0..0xffff), or {@code -errno}
     */
    static native int getFlags(int fd);

    /**
     * {@code ioctl(fd, TUNSETOFFLOAD, offloads)}: the offloads the device may use. The kernel refuses
     * ({@code -EINVAL}) a set with a bit it does not know, and takes it whole or not at all.
     *
     * @param offloads {@code TUN_F_*} bits
     * @return 0, or {@code -errno}
     */
    static native int setOffload(int fd, int offloads);

    /**
     * {@code ioctl(fd, TUNSETVNETHDRSZ, &size)}: the bytes of virtio-net header before each packet
     * (at least 10, {@code sizeof(struct virtio_net_hdr)}).
     *
     * @return 0, or {@code -errno}
     */
    static native int setVnetHdrSize(int fd, int size);
}
