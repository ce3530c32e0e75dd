package dev.culvert.config;

import static dev.culvert.config.Fixture.ORIGIN;
import static dev.culvert.config.Fixture.lineOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new-user test of issue 11: {@code check-config} run as root passed a hook whose program did not exist or was
 * not executable (only {@code --user} said so, without a position). Now the one validation path reports it, with
 * file:line: key and a fix, for every user.
 */
class HookProgramsTest {
    private static final String TUNNEL = "culvert.tunnels.site-b.";

    @TempDir
    Path dir;

    private String withUp(Fixture fx, String command) {
        return fx.minimal().replace("      device {", "      up = [\"" + command + "\"]\n      device {");
    }

    @Test
    void aMissingProgramIsAProblemAtItsLine() {
        Fixture fx = new Fixture(dir);
        Path missing = dir.resolve("no-such-up.sh");
        String text = withUp(fx, missing + " %dev%");
        assertThat(fx.problem(text).toString()).isEqualTo(ORIGIN + ":" + lineOf(text, "up = ") + ": " + TUNNEL
                + "up[0]: hook program " + missing + " does not exist; fix: install it, or correct the path");
    }

    @Test
    void aProgramWithoutTheExecuteBitIsAProblemWithTheChmod() throws IOException {
        Fixture fx = new Fixture(dir);
        Path hook = Files.writeString(dir.resolve("up.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rw-r--r--"));
        String text = withUp(fx, hook.toString());
        assertThat(fx.problem(text).toString()).isEqualTo(ORIGIN + ":" + lineOf(text, "up = ") + ": " + TUNNEL
                + "up[0]: hook program " + hook + " is not executable; fix: chmod a+rx " + hook);
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThatCode(() -> fx.parse(text)).doesNotThrowAnyException();
    }

    @Test
    void aBareNameMustBeAnExecutableOnThePath() throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path other = Files.createDirectories(dir.resolve("other"));
        Path notExecutable = Files.writeString(bin.resolve("prog"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(notExecutable, PosixFilePermissions.fromString("rw-r--r--"));
        String path = bin + ":" + other;
        assertThatThrownBy(() -> HookPrograms.find("prog %dev%", path)).hasMessageContaining("'prog' is not an "
                + "executable on the PATH (" + path + ")").hasMessageContaining("sh -c");
        // as execvp(3), a later directory's executable is the one run
        Path executable = Files.writeString(other.resolve("prog"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(executable, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThat(HookPrograms.find("prog %dev%", path)).contains(executable);
        // a shell builtin is no program when nothing runs a shell
        assertThatThrownBy(() -> HookPrograms.find("source /etc/culvert/up.sh", path))
                .hasMessageContaining("shell builtin");
        // only the tunnel's values decide a placeholder
        assertThat(HookPrograms.find("%name%-up", path)).isEmpty();
    }

    @Test
    void ordinaryHooksOnThisHostsPathPass() {
        Fixture fx = new Fixture(dir);
        assertThatCode(() -> fx.parse(withUp(fx, "true %dev%"))).doesNotThrowAnyException();
        assertThatCode(() -> fx.parse(withUp(fx, "sh -c 'echo $CULVERT_DEV'"))).doesNotThrowAnyException();
    }
}
