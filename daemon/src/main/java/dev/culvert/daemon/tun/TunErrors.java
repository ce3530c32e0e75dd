package dev.culvert.daemon.tun;

import dev.culvert.config.DeviceMode;

/**
 * Turns the {@code -errno} that {@link TunNative#open} returns into a {@link TunException} whose
 * message tells an operator what went wrong and what to do.
 *
 * <p>The native shim reports only the errno, not whether {@code open(/dev/net/tun)} or the
 * {@code TUNSETIFF} ioctl failed; the errnos below are the ones each step is documented to give.
 */
final class TunErrors {

    // Linux errno values (asm-generic/errno-base.h); the same on every architecture Culvert targets.
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int ENXIO = 6;
    static final int ENOMEM = 12;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int ENODEV = 19;
    static final int EINVAL = 22;
    static final int ENFILE = 23;
    static final int EMFILE = 24;

    static final String CLONE_DEVICE = "/dev/net/tun";

    private TunErrors() {
    }

    /**
     * The exception for a failed attempt to create device {@code name} with {@code IFF_TUN_EXCL}: there
     * {@code EBUSY} means an interface of that name exists already.
     *
     * @param errno the positive errno
     */
    static TunException openFailed(String name, DeviceMode mode, int errno) {
        if (errno == EBUSY) {
            return new TunException("device '" + name + "' already exists and was not created by this Culvert "
                    + "(`ip tuntap add`, another program or another Culvert made it): if it is a persistent "
                    + mode.name().toLowerCase(java.util.Locale.ROOT) + " device meant for this tunnel, set "
                    + "device.existing = true to adopt it; otherwise choose another device.name, or delete it with "
                    + "`ip link del " + name + "`");
        }
        return attachFailed(name, mode, errno);
    }

    /**
     * The exception for a failed attempt to adopt an existing device {@code name} ({@code device.existing}),
     * attached without {@code IFF_TUN_EXCL}.
     *
     * @param errno the positive errno
     */
    static TunException adoptFailed(String name, DeviceMode mode, int errno) {
        switch (errno) {
            case EBUSY:
                return new TunException("cannot adopt device '" + name + "': another process has it open "
                        + "(another Culvert?)");
            case EINVAL:
                return new TunException("cannot adopt device '" + name + "': it is not a " + kind(mode)
                        + " device (device.mode), or it was made multi_queue");
            default:
                return attachFailed(name, mode, errno);
        }
    }

    /** {@code device.existing = true} and there is no device of that name. */
    static TunException nothingToAdopt(String name, DeviceMode mode) {
        return new TunException("device '" + name + "' does not exist, and device.existing = true only adopts an "
                + "existing device: create it (ip tuntap add dev " + name + " mode " + kind(mode)
                + ") or set device.existing = false");
    }

    private static TunException attachFailed(String name, DeviceMode mode, int errno) {
        String kind = kind(mode);
        switch (errno) {
            case ENOENT:
            case ENODEV:
            case ENXIO:
                return new TunException("cannot open " + CLONE_DEVICE
                        + ": no such device (load the tun module: modprobe tun)");
            case EPERM:
            case EACCES:
                return new TunException("creating " + kind + " device '" + name
                        + "' needs CAP_NET_ADMIN (run as root or grant CAP_NET_ADMIN)");
            case EBUSY:
                return new TunException("device name '" + name + "' is already in use");
            case EINVAL:
                return new TunException("cannot create " + kind + " device '" + name
                        + "': invalid name, or an interface of another kind already has that name");
            case EMFILE:
            case ENFILE:
                return new TunException("cannot open " + CLONE_DEVICE + " for device '" + name
                        + "': too many open files (raise the open-files limit, LimitNOFILE=)");
            case ENOMEM:
                return new TunException("cannot create " + kind + " device '" + name + "': out of memory");
            default:
                return new TunException("cannot create " + kind + " device '" + name + "': errno " + errno);
        }
    }

    private static String kind(DeviceMode mode) {
        return mode == DeviceMode.TAP ? "tap" : "tun";
    }
}
