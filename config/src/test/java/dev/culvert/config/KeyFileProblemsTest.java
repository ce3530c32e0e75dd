package dev.culvert.config;

import static dev.culvert.config.Fixture.ORIGIN;
import static dev.culvert.config.Fixture.lineOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key-file problems surface as config problems at the key that names the file. */
class KeyFileProblemsTest {

    @TempDir
    Path dir;
    Fixture fx;

    @BeforeEach
    void setUp() {
        fx = new Fixture(dir);
    }

    @Test
    void missingPrivateKeyFile() {
        Path missing = dir.resolve("absent.key");
        String text = fx.minimal().replace("$KEY", missing.toString());
        assertThat(fx.problem(text)).hasToString(ORIGIN + ":" + lineOf(text, "private-key-file")
                + ": culvert.private-key-file: cannot read " + missing + ": no such file");
    }

    @Test
    void privateKeyReadableByOthersIsRefused() {
        Path open = fx.keyFile("open.key", Fixture.randomKey(), "rw-r--r--");
        String text = fx.minimal().replace("$KEY", open.toString());
        assertThat(fx.problem(text)).hasToString(ORIGIN + ":" + lineOf(text, "private-key-file")
                + ": culvert.private-key-file: " + open + " is readable by group or others (mode 0644); run chmod 600 "
                + open);
    }

    @Test
    void presharedKeyFileIsCheckedLikeThePrivateKey() {
        Path psk = fx.keyFile("group.psk", Fixture.randomKey(), "rw-r-----");
        String text = fx.minimal().replace("peer {", "peer {\n preshared-key-file = \"" + psk + "\"\n");
        assertThat(fx.problem(text)).hasToString(ORIGIN + ":" + lineOf(text, "preshared-key-file")
                + ": culvert.tunnels.site-b.peer.preshared-key-file: " + psk
                + " is readable by group or others (mode 0640); run chmod 600 " + psk);
    }

    @Test
    void keyFileWithGarbageIsRefusedWithoutEchoingIt() {
        Path garbage = fx.keyFile("garbage.key", "hunter2-this-is-not-a-key\n", "rw-------");
        String text = fx.minimal().replace("$KEY", garbage.toString());
        ConfigProblem problem = fx.problem(text);
        assertThat(problem.keyPath()).isEqualTo("culvert.private-key-file");
        assertThat(problem.message()).startsWith(garbage + " does not hold a key").doesNotContain("hunter2");
    }
}
