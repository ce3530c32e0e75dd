package dev.culvert.daemon.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.culvert.config.DeviceMode;
import dev.culvert.protocol.offload.DeviceOffloads;
import io.netty.channel.unix.FileDescriptor;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What can be checked without privileges: argument checks and the JNI shim's linkage. */
class TunNativeTest {

    private static final int EBADF = 9;
    private static final int ENOTTY = 25;

    @Test
    void badNamesAndMtusAreRefusedBeforeAnySystemCall() {
        assertThatThrownBy(() -> TunChannel.open("way-too-long-name", DeviceMode.TUN, 1420))
                .isInstanceOf(TunException.class).hasMessageContaining("longer than 15");
        assertThatThrownBy(() -> TunChannel.open("cv-x", DeviceMode.TUN, 67))
                .isInstanceOf(TunException.class)
                .hasMessage("invalid MTU 67 for device 'cv-x': must be 68..65535");
    }

    @Test
    void theShimLoadsAndRejectsBadNamesItself() throws TunException {
        TunNative.load();
        TunNative.load(); // idempotent

        // Refused inside the shim before it opens anything.
        assertThat(TunNative.open("", false, 0)).isEqualTo(-TunErrors.EINVAL);
        assertThat(TunNative.open("sixteen-bytes-xx", true, 0)).isEqualTo(-TunErrors.EINVAL);
        // Only IFF_VNET_HDR, IFF_MULTI_QUEUE and IFF_TUN_EXCL may be added (0x1000 is IFF_NO_PI, 0x0001 IFF_TUN:
        // the shim's own; 0x0800 IFF_PERSIST is TUNSETPERSIST's).
        assertThat(TunNative.open("cv-x", false, 0x0001)).isEqualTo(-TunErrors.EINVAL);
        assertThat(TunNative.open("cv-x", false, TunNative.IFF_VNET_HDR | TunNative.IFF_PERSIST))
                .isEqualTo(-TunErrors.EINVAL);
    }

    @Test
    void theOffloadIoctlsReportErrnoAndThrowNothing() throws Exception {
        TunNative.load();
        assertThat(TunNative.setOffload(-1, TunNative.TUN_F_CSUM)).isEqualTo(-EBADF);
        assertThat(TunNative.setVnetHdrSize(-1, 10)).isEqualTo(-EBADF);
        assertThat(TunNative.getFlags(-1)).isEqualTo(-EBADF);
        io.netty.channel.epoll.Epoll.ensureAvailability(); // Netty's native library, for FileDescriptor.pipe()
        FileDescriptor[] pipe = FileDescriptor.pipe();
        try {
            // Not a tun fd: the kernel answers ENOTTY (no such ioctl on a pipe).
            assertThat(TunNative.setOffload(pipe[0].intValue(), TunNative.TUN_F_CSUM)).isEqualTo(-ENOTTY);
            assertThat(TunNative.setVnetHdrSize(pipe[0].intValue(), 10)).isEqualTo(-ENOTTY);
            assertThat(TunNative.getFlags(pipe[0].intValue())).isEqualTo(-ENOTTY);
        } finally {
            pipe[0].close();
            pipe[1].close();
        }
    }

    @Test
    void offloadBitsAreTheTunFlagsOfTheOffloadsThatAreOn() {
        assertThat(TunChannel.offloadBits(DeviceOffloads.NONE)).isZero();
        assertThat(TunChannel.offloadBits(new DeviceOffloads(true, true, false, false, false, false))).isEqualTo(0x01);
        assertThat(TunChannel.offloadBits(new DeviceOffloads(true, true, true, true, false, false))).isEqualTo(0x07);
        assertThat(TunChannel.offloadBits(new DeviceOffloads(true, true, true, true, true, true))).isEqualTo(0x67);
    }

    @Test
    void anExplicitNativeDirWithoutTheLibraryIsAClearError(@TempDir Path empty) {
        String previous = System.getProperty(NativeLibraryLoader.DIR_PROPERTY);
        System.setProperty(NativeLibraryLoader.DIR_PROPERTY, empty.toString());
        try {
            assertThatThrownBy(() -> NativeLibraryLoader.load(NativeLibraryLoader.TUN_LIBRARY))
                    .isInstanceOf(TunException.class)
                    .hasMessage("cannot load native library: " + empty.resolve(NativeLibraryLoader.TUN_LIBRARY)
                            + " does not exist (from -D" + NativeLibraryLoader.DIR_PROPERTY + ")");
        } finally {
            restore(previous);
        }
    }

    @Test
    void theLibraryIsLoadedFromAnExplicitNativeDir(@TempDir Path dir) throws Exception {
        Path built = Path.of(TunNativeTest.class.getClassLoader()
                .getResource(NativeLibraryLoader.RESOURCE_DIR + NativeLibraryLoader.TUN_LIBRARY).toURI());
        Files.copy(built, dir.resolve(NativeLibraryLoader.TUN_LIBRARY));
        String previous = System.getProperty(NativeLibraryLoader.DIR_PROPERTY);
        System.setProperty(NativeLibraryLoader.DIR_PROPERTY, dir.toString());
        try {
            NativeLibraryLoader.load(NativeLibraryLoader.TUN_LIBRARY);
        } finally {
            restore(previous);
        }
    }

    @Test
    void theLibraryIsExtractedFromAJar(@TempDir Path dir) throws Exception {
        Path built = Path.of(TunNativeTest.class.getClassLoader()
                .getResource(NativeLibraryLoader.RESOURCE_DIR + NativeLibraryLoader.TUN_LIBRARY).toURI());
        Path jar = dir.resolve("culvert-daemon.jar");
        String entry = NativeLibraryLoader.RESOURCE_DIR + NativeLibraryLoader.TUN_LIBRARY;
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry(entry));
            Files.copy(built, out);
            out.closeEntry();
        }
        URL inJar = new URL("jar:" + jar.toUri() + "!/" + entry);

        NativeLibraryLoader.extractAndLoad(inJar, NativeLibraryLoader.TUN_LIBRARY);
    }

    private static void restore(String previous) {
        if (previous == null) {
            System.clearProperty(NativeLibraryLoader.DIR_PROPERTY);
        } else {
            System.setProperty(NativeLibraryLoader.DIR_PROPERTY, previous);
        }
    }
}
