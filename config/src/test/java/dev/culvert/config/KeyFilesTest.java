package dev.culvert.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Tests run as root, which can read anything: these check the mode bits, not actual readability. */
class KeyFilesTest {

    @TempDir
    Path dir;
    Fixture fx;

    @BeforeEach
    void setUp() {
        fx = new Fixture(dir);
    }

    @Test
    void readsAKeyWithSurroundingWhitespace() throws Exception {
        String key = Fixture.randomKey();
        Path file = fx.keyFile("k", "  \n" + key + "\r\n\t", "rw-------");
        assertThat(KeyFiles.readKey(file)).isEqualTo(Base64.getDecoder().decode(key));
        Path readOnly = fx.keyFile("ro", key, "r--------");
        assertThat(KeyFiles.readKey(readOnly)).hasSize(KeyFiles.KEY_BYTES);
    }

    @ParameterizedTest
    @CsvSource({"rw-r--r--, 0644, readable", "rw-r-----, 0640, readable", "rw----r--, 0604, readable",
        "rw--w----, 0620, accessible", "rwx-----x, 0701, accessible"})
    void refusesKeysThatOthersMayAccess(String mode, String octal, String word) {
        Path file = fx.keyFile("k", Fixture.randomKey(), mode);
        assertThatThrownBy(() -> KeyFiles.readKey(file)).isInstanceOf(KeyFileException.class)
                .hasMessage(file + " is " + word + " by group or others (mode " + octal + "); run chmod 600 " + file);
    }

    @Test
    void missingFile() {
        Path file = dir.resolve("absent.key");
        assertThatThrownBy(() -> KeyFiles.readKey(file)).isInstanceOf(KeyFileException.class)
                .hasMessage("cannot read " + file + ": no such file")
                .satisfies(e -> assertThat(((KeyFileException) e).file()).isEqualTo(file));
    }

    @Test
    void directoryIsNotAKeyFile() throws Exception {
        Path sub = Files.createDirectory(dir.resolve("sub"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        assertThatThrownBy(() -> KeyFiles.readKey(sub)).hasMessage(sub + " is not a regular file");
    }

    @Test
    void contentIsNeverEchoed() {
        String almostKey = Fixture.randomKey().substring(0, 40) + "!!!!";
        for (String content : new String[] {"", "secret-not-base64", almostKey,
            Base64.getEncoder().encodeToString(new byte[31]), Base64.getEncoder().encodeToString(new byte[33]),
            Fixture.randomKey() + " " + Fixture.randomKey()}) {
            Path file = fx.keyFile("bad", content, "rw-------");
            assertThatThrownBy(() -> KeyFiles.readKey(file)).isInstanceOf(KeyFileException.class)
                    .hasMessage(file + " does not hold a key: expected 32 bytes in base64 (as written by "
                            + "'culvert genkey' or 'wg genkey')");
        }
    }

    @Test
    void hugeFileIsRefusedUnread() {
        Path file = fx.keyFile("big", "A".repeat(5000), "rw-------");
        assertThatThrownBy(() -> KeyFiles.readKey(file)).hasMessage(file + " is too large to be a key file (over 1024 bytes)");
    }

    @Test
    void octalModeMatchesLs() {
        assertThat(KeyFiles.octalMode(PosixFilePermissions.fromString("rwxr-x--x"))).isEqualTo("0751");
        assertThat(KeyFiles.octalMode(PosixFilePermissions.fromString("---------"))).isEqualTo("0000");
    }

    /** Issue 11: a key the daemon's user cannot read says who may not, the owner and mode, and the fix. */
    @Test
    void anUnreadableKeyNamesTheUserTheOwnerAndTheFix() throws Exception {
        Path key = Files.writeString(dir.resolve("site-a.key"), "x\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        var attributes = Files.readAttributes(key, java.nio.file.attribute.PosixFileAttributes.class);
        assertThat(KeyFiles.notReadableMessage(key, attributes, "culvert"))
                .startsWith("cannot read " + key + ": permission denied for user culvert (owner "
                        + attributes.owner().getName() + ":" + attributes.group().getName() + ", mode 0600)")
                .endsWith("chown culvert:culvert " + key + " && chmod 0600 " + key);
    }
}
