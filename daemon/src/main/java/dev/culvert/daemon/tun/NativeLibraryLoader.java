package dev.culvert.daemon.tun;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Finds and loads a native library that ships under {@code META-INF/native/}, in this order:
 * <ol>
 *   <li>the directory named by the system property {@value #DIR_PROPERTY}, if set (and then only
 *       there: an operator who sets it means it);</li>
 *   <li>beside the jar that holds this class (as the tarball lays out {@code lib/});</li>
 *   <li>the class path resource itself: loaded in place when it is a plain file (a build tree), or
 *       copied out of the jar to a private temporary file, loaded, and deleted.</li>
 * </ol>
 */
final class NativeLibraryLoader {

    /** System property naming a directory that holds the native libraries. */
    static final String DIR_PROPERTY = "culvert.native.dir";
    static final String TUN_LIBRARY = "libculvert-tun.so";
    static final String RESOURCE_DIR = "META-INF/native/";

    private NativeLibraryLoader() {
    }

    /** Loads {@code fileName} or throws a {@link TunException} that says where it looked. */
    static void load(String fileName) throws TunException {
        String dir = System.getProperty(DIR_PROPERTY);
        if (dir != null && !dir.isBlank()) {
            Path file = Paths.get(dir, fileName).toAbsolutePath();
            if (!Files.isRegularFile(file)) {
                throw new TunException("cannot load native library: " + file + " does not exist (from -D"
                        + DIR_PROPERTY + ")");
            }
            loadFile(file);
            return;
        }
        Path besideJar = besideCodeSource(fileName);
        if (besideJar != null) {
            loadFile(besideJar);
            return;
        }
        URL resource = NativeLibraryLoader.class.getClassLoader().getResource(RESOURCE_DIR + fileName);
        if (resource == null) {
            throw new TunException("cannot load native library: " + RESOURCE_DIR + fileName
                    + " is not on the class path and -D" + DIR_PROPERTY + " is not set");
        }
        if ("file".equals(resource.getProtocol())) {
            loadFile(toPath(resource));
            return;
        }
        extractAndLoad(resource, fileName);
    }

    private static Path besideCodeSource(String fileName) {
        try {
            URL location = NativeLibraryLoader.class.getProtectionDomain().getCodeSource().getLocation();
            Path codeSource = Paths.get(location.toURI());
            if (!Files.isRegularFile(codeSource)) {
                return null; // a classes directory, not a jar
            }
            Path candidate = codeSource.resolveSibling(fileName);
            return Files.isRegularFile(candidate) ? candidate : null;
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    static void extractAndLoad(URL resource, String fileName) throws TunException {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("culvert-", "-" + fileName,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            try (InputStream in = resource.openStream()) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            loadFile(tmp);
        } catch (TunException e) {
            throw new TunException(e.getMessage() + " (if " + tmp.getParent() + " is mounted noexec, set -D"
                    + DIR_PROPERTY + " or -Djava.io.tmpdir)", e.getCause());
        } catch (IOException e) {
            throw new TunException("cannot load native library: extracting " + resource + " to "
                    + (tmp == null ? "a temporary file" : tmp.toString()) + " failed: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp); // the mapping stays valid after unlink
                } catch (IOException ignored) {
                    tmp.toFile().deleteOnExit();
                }
            }
        }
    }

    private static void loadFile(Path file) throws TunException {
        try {
            System.load(file.toAbsolutePath().toString());
        } catch (UnsatisfiedLinkError e) {
            throw new TunException("cannot load native library " + file + ": " + e.getMessage(), e);
        }
    }

    private static Path toPath(URL url) throws TunException {
        try {
            return Paths.get(url.toURI());
        } catch (URISyntaxException e) {
            throw new TunException("cannot load native library: bad location " + url, e);
        }
    }
}
