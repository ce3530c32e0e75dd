package dev.culvert.daemon.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.culvert.config.DeviceMode;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What can be checked without privileges: argument checks and the JNI shim's linkage. */
class TunNativeTest {

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
