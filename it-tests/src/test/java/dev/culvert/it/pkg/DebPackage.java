package dev.culvert.it.pkg;

import dev.culvert.it.node.CulvertDistribution;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The Debian package that {@code mvn package} leaves in {@code packaging/target/}, found next to the
 * unpacked distribution that failsafe names ({@code culvert.home} is {@code packaging/target/culvert}).
 */
final class DebPackage {

    /** What the package is called on disk: {@code culvert_<debian version>_amd64.deb}. */
    static final String GLOB = "culvert_*_amd64.deb";

    private DebPackage() {
    }

    /** {@code packaging/target/}. */
    static Path targetDir() {
        return CulvertDistribution.locate().home().getParent();
    }

    /** {@code packaging/} (for its scripts). */
    static Path packagingDir() {
        return targetDir().getParent();
    }

    /**
     * The one .deb in {@code packaging/target/}.
     *
     * @throws AssertionError when there is none or several: the package is built before these tests
     */
    static Path locate() {
        Path target = targetDir();
        List<Path> debs;
        try (Stream<Path> files = Files.list(target)) {
            debs = files.filter(f -> f.getFileName().toString().matches("culvert_.+_amd64\\.deb")).sorted()
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + target, e);
        }
        if (debs.size() != 1) {
            throw new AssertionError("expected exactly one " + GLOB + " in " + target + " (built by 'mvn -B package'), found "
                    + debs);
        }
        return debs.get(0);
    }
}
