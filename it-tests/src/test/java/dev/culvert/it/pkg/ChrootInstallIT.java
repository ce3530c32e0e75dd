package dev.culvert.it.pkg;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.it.harness.ExecResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package's life in a Debian 12 chroot (see {@link BookwormChroot}): install, install again,
 * the user and modes postinst sets, {@code check-config} of the example as the daemon's user,
 * {@code systemd-analyze verify} and {@code security} on the installed unit, remove, purge that keeps
 * an operator's key, and purge that removes everything once nothing of the operator's is left.
 *
 * <p>Time: ~15 s with a warm cache; the first run on a machine adds ~60 s of debootstrap.
 */
class ChrootInstallIT {

    private static final String DEB_INSIDE = "/tmp/culvert.deb";
    private static final String CONF_DIR = "/etc/culvert";
    private static final String SAMPLE = CONF_DIR + "/example.conf.sample";
    private static final String OPERATOR_KEY = CONF_DIR + "/example.key";
    private static final String INSTANCE = "culvert@example.service";
    /** The report kept next to the package for the README (see README, "Install as a Debian service"). */
    static final String SECURITY_REPORT = "systemd-analyze-security.txt";
    /** systemd's scale: 0 (locked down) to 10 (unprotected); "OK" ends below 4.0 (v252). */
    private static final double MAX_EXPOSURE = 3.0;

    @BeforeAll
    static void prerequisites() {
        PackageTools.require(true, "debootstrap", "chroot", "mount", "flock");
    }

    @Test
    void installsRunsChecksRemovesAndPurgesKeepingTheOperatorsKey() throws IOException {
        Path deb = DebPackage.locate();
        try (BookwormChroot chroot = BookwormChroot.create()) {
            Files.copy(deb, chroot.path(DEB_INSIDE));

            // install, and install again (postinst must be idempotent)
            chroot.sh("dpkg -i " + DEB_INSIDE);
            String user = chroot.sh("getent passwd culvert").stdout().strip();
            chroot.sh("dpkg -i " + DEB_INSIDE);
            assertThat(chroot.sh("getent passwd culvert").stdout().strip()).as("the same user after a reinstall").isEqualTo(user);
            String[] passwd = user.split(":");
            assertThat(Integer.parseInt(passwd[2])).as("a system uid").isLessThan(1000);
            assertThat(passwd[5]).isEqualTo("/nonexistent");
            assertThat(passwd[6]).isEqualTo("/usr/sbin/nologin");
            chroot.sh("getent group culvert");
            assertThat(stat(chroot, CONF_DIR)).isEqualTo("750 root culvert");
            assertThat(stat(chroot, SAMPLE)).isEqualTo("644 root root");
            assertThat(chroot.sh("readlink -f /usr/bin/culvert").stdout().strip()).isEqualTo("/usr/share/culvert/bin/culvert");
            assertThat(chroot.path("/home/culvert")).as("no home created").doesNotExist();

            // the operator's key, as the README says; the example then checks out, read as the daemon's user
            chroot.sh("install -o culvert -g culvert -m 0600 /dev/null " + OPERATOR_KEY
                    + " && culvert genkey > " + OPERATOR_KEY);
            String check = chroot.sh("runuser -u culvert -- culvert check-config " + SAMPLE).stdout();
            assertThat(check).contains("OK, 1 tunnel (site-b)");

            verifyUnit(chroot);

            // remove: the program goes, configs and keys stay
            chroot.sh("dpkg -r culvert");
            assertThat(chroot.path("/usr/bin/culvert")).doesNotExist();
            assertThat(chroot.path("/lib/systemd/system/culvert@.service")).doesNotExist();
            assertThat(chroot.path(SAMPLE)).as("a conffile stays until purge").exists();
            assertThat(chroot.path(OPERATOR_KEY)).exists();

            // purge: the example goes; the operator's key, its folder and its owner stay
            ExecResult purge = chroot.sh("dpkg -P culvert");
            assertThat(chroot.path(SAMPLE)).doesNotExist();
            assertThat(chroot.path(OPERATOR_KEY)).as("the operator's key survives purge").exists();
            assertThat(stat(chroot, OPERATOR_KEY)).isEqualTo("600 culvert culvert");
            assertThat(purge.stderr()).contains(CONF_DIR + " is not empty");

            // with nothing of the operator's left, purge removes the folder, the user and the group
            chroot.sh("rm " + OPERATOR_KEY + " && dpkg -i " + DEB_INSIDE + " && dpkg -P culvert");
            assertThat(chroot.path(CONF_DIR)).doesNotExist();
            assertThat(chroot.run("getent", "passwd", "culvert").ok()).as("user culvert after purge").isFalse();
            assertThat(chroot.run("getent", "group", "culvert").ok()).as("group culvert after purge").isFalse();
        }
    }

    /** {@code systemd-analyze verify} passes on the installed unit; {@code security} is saved for the README. */
    private static void verifyUnit(BookwormChroot chroot) {
        ExecResult verify = chroot.run("systemd-analyze", "verify", INSTANCE);
        assertThat(verify.ok()).as("systemd-analyze verify: %s", verify.describe()).isTrue();
        assertThat(verify.stderr().strip()).as("systemd-analyze verify complaints").isEmpty();

        ExecResult security = chroot.run("systemd-analyze", "security", "--offline=true", "--no-pager", INSTANCE);
        assertThat(security.ok()).as("systemd-analyze security: %s", security.describe()).isTrue();
        Path report = DebPackage.targetDir().resolve(SECURITY_REPORT);
        try {
            Files.writeString(report, security.stdout());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + report, e);
        }
        String overall = security.stdout().lines().filter(l -> l.contains("Overall exposure level")).findFirst()
                .orElseThrow(() -> new AssertionError("no overall exposure in: " + security.stdout()));
        double exposure = Double.parseDouble(overall.replaceAll(".*:\\s*([0-9.]+).*", "$1"));
        assertThat(exposure).as("%s (full report: %s)", overall.strip(), report).isLessThanOrEqualTo(MAX_EXPOSURE);
    }

    private static String stat(BookwormChroot chroot, String path) {
        return chroot.sh("stat -c '%a %U %G' " + path).stdout().strip();
    }
}
