package dev.culvert.daemon.tun;

/**
 * The JNI shim ({@code src/main/c/culvert_tun.c}). It only opens devices: errors come back as
 * {@code -errno} and are turned into messages by {@link TunErrors}; nothing is thrown from C.
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

    /**
     * Opens {@code /dev/net/tun} with {@code O_RDWR|O_NONBLOCK|O_CLOEXEC} and attaches it with
     * {@code TUNSETIFF} ({@code IFF_TUN} or {@code IFF_TAP}, {@code IFF_NO_PI}) to the interface of
     * exactly this name, creating it if it does not exist.
     *
     * @return the file descriptor, or {@code -errno}
     */
    static native int open(String name, boolean tap);
}
