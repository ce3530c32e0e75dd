package dev.culvert.daemon.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * Version lines: Culvert's Maven project version and the git commit it was built from (both written at build
 * time by {@code daemon/src/main/sh/build-info.sh} into {@code build.properties}), then the JDK that runs it.
 */
final class Version implements CommandLine.IVersionProvider {
    /** The build's resource, next to this class. */
    static final String RESOURCE = "build.properties";

    @Override
    public String[] getVersion() {
        return new String[] {line(Version.class.getResourceAsStream(RESOURCE)),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ")"};
    }

    /**
     * {@code culvert 0.1.0-SNAPSHOT (git 0123456789ab)} from a build's properties; "(development build)" only
     * where there are none (classes compiled outside Maven, e.g. by an IDE).
     */
    static String line(InputStream buildProperties) {
        if (buildProperties == null) {
            return "culvert (development build: no build.properties)";
        }
        Properties p = new Properties();
        try (buildProperties) {
            p.load(buildProperties);
        } catch (IOException e) {
            return "culvert (development build: unreadable build.properties)";
        }
        return "culvert " + p.getProperty("version", "?") + " (git " + p.getProperty("commit", "unknown") + ")";
    }
}
