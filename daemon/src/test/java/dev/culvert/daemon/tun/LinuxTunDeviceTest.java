package dev.culvert.daemon.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.culvert.config.DeviceMode;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalIoHandler;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What can be checked without privileges: argument checks and the JNI shim's linkage. */
class LinuxTunDeviceTest {

    private static MultiThreadIoEventLoopGroup localGroup;

    @BeforeAll
    static void startLoop() {
        localGroup = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    }

    @AfterAll
    static void stopLoop() {
        localGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void badNamesAndMtusAreRefusedBeforeAnySystemCall() {
        IoEventLoop loop = (IoEventLoop) localGroup.next();
        assertThatThrownBy(() -> LinuxTunDevice.open("way-too-long-name", DeviceMode.TUN, 1420, loop,
                ByteBufAllocator.DEFAULT)).isInstanceOf(TunException.class).hasMessageContaining("longer than 15");
        assertThatThrownBy(() -> LinuxTunDevice.open("cv-x", DeviceMode.TUN, 67, loop, ByteBufAllocator.DEFAULT))
                .isInstanceOf(TunException.class)
                .hasMessage("invalid MTU 67 for device 'cv-x': must be 68..65535");
    }

    @Test
    void aNonEpollLoopIsRefused() {
        IoEventLoop loop = (IoEventLoop) localGroup.next();
        assertThatThrownBy(() -> LinuxTunDevice.open("cv-x", DeviceMode.TUN, 1420, loop, ByteBufAllocator.DEFAULT))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs an epoll event loop");
    }

    @Test
    void theShimLoadsAndRejectsBadNamesItself() throws TunException {
        TunNative.load();
        TunNative.load(); // idempotent

        // Refused inside the shim before it opens anything.
        assertThat(TunNative.open("", false)).isEqualTo(-TunErrors.EINVAL);
        assertThat(TunNative.open("sixteen-bytes-xx", true)).isEqualTo(-TunErrors.EINVAL);
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
        Path built = Path.of(LinuxTunDeviceTest.class.getClassLoader()
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
        Path built = Path.of(LinuxTunDeviceTest.class.getClassLoader()
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
