package dev.culvert.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.crypto.Keys;
import dev.culvert.crypto.X25519;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 11, "fail once, clearly": {@code check-config --user USER} decides from owner, group and mode bits whether
 * USER can read every file the config names, whoever runs it (root reads everything, so a plain check as root
 * proves nothing for the service). The files here belong to whoever runs the test; the "service user" is a fake
 * account with another uid (and, where it matters, the files' group), as {@link FileAccess.Accounts} looks it up.
 */
class FileAccessTest {
    @TempDir
    Path tmp;
    private Path dir;
    private int ownUid;
    private int ownGid;
    private FileAccess.Account stranger;
    private FileAccess.Account groupMember;

    @BeforeEach
    void files() throws IOException {
        dir = tmp.resolve("etc-culvert");
        Files.createDirectory(dir);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-x---"));
        ownUid = (Integer) Files.getAttribute(dir, "unix:uid");
        ownGid = (Integer) Files.getAttribute(dir, "unix:gid");
        // Ids nobody on a test machine has: neither the owner nor in the owning group.
        stranger = new FileAccess.Account("svc", 64999, 64999, "svcgroup", Set.of(64999));
        groupMember = new FileAccess.Account("svc", 64999, 64999, "svcgroup", Set.of(64999, ownGid));
    }

    @Test
    void aKeyOwnedByAnotherUserIsRefusedWithTheChownThatFixesIt() throws IOException {
        Path key = secret("a.key");
        Path real = key.toRealPath();
        Optional<String> problem = FileAccess.problem(groupMember, key, FileAccess.Kind.KEY);
        assertThat(problem).hasValueSatisfying(p -> assertThat(p)
                .contains("user svc cannot read key file " + key)
                .contains("mode 0600")
                .contains("fix: chown svc:svcgroup " + real + " && chmod 0600 " + real));
        // The same file is fine for its owner, and for root.
        FileAccess.Account owner = new FileAccess.Account("me", ownUid, ownGid, "megroup", Set.of(ownGid));
        assertThat(FileAccess.problem(owner, key, FileAccess.Kind.KEY)).isEmpty();
        assertThat(FileAccess.problem(new FileAccess.Account("root", 0, 0, "root", Set.of(0)), key, FileAccess.Kind.KEY))
                .isEmpty();
    }

    /** A new-user test: {@code --user nobody} suggested {@code chown nobody:nobody}; Debian's nobody is in nogroup. */
    @Test
    void theSystemAccountCarriesItsPrimaryGroupsNameForTheFix() throws IOException {
        FileAccess.Account nobody = FileAccess.SYSTEM.lookup("nobody").orElseThrow();
        String groupOfGid = Files.readAllLines(Path.of("/etc/group")).stream().map(l -> l.split(":"))
                .filter(f -> f.length > 2 && f[2].equals(Integer.toString(nobody.gid()))).map(f -> f[0]).findFirst()
                .orElseThrow();
        assertThat(nobody.group()).isEqualTo(groupOfGid);
        Path key = secret("n.key");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-x--x"));
        assertThat(FileAccess.problem(nobody, key, FileAccess.Kind.KEY)).hasValueSatisfying(p -> assertThat(p)
                .contains("chown nobody:" + groupOfGid + " "));
    }

    @Test
    void aFolderTheUserMayNotEnterIsNamed() throws IOException {
        Path conf = Files.writeString(dir.resolve("a.conf"), "culvert {}\n");
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-r--r--"));
        Path realDir = dir.toRealPath();
        assertThat(FileAccess.problem(stranger, conf, FileAccess.Kind.CONFIG)).hasValueSatisfying(p -> assertThat(p)
                .contains("it may not enter " + realDir).contains("chgrp svcgroup " + realDir).contains("chmod g+x"));
        assertThat(FileAccess.problem(groupMember, conf, FileAccess.Kind.CONFIG)).isEmpty();
    }

    @Test
    void aConfigReadableByTheGroupPassesAndOneThatIsNotSaysChgrp() throws IOException {
        Path conf = Files.writeString(dir.resolve("a.conf"), "culvert {}\n");
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-r-----"));
        assertThat(FileAccess.problem(groupMember, conf, FileAccess.Kind.CONFIG)).isEmpty();
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        assertThat(FileAccess.problem(groupMember, conf, FileAccess.Kind.CONFIG)).hasValueSatisfying(p ->
                assertThat(p).contains("cannot read config file").contains("chgrp svcgroup ").contains("chmod g+r"));
    }

    @Test
    void aHookProgramNeedsTheExecuteBitEvenForRoot() throws IOException {
        Path hook = Files.writeString(dir.resolve("up.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rw-r--r--"));
        FileAccess.Account root = new FileAccess.Account("root", 0, 0, "root", Set.of(0));
        assertThat(FileAccess.problem(root, hook, FileAccess.Kind.PROGRAM)).hasValueSatisfying(p ->
                assertThat(p).contains("cannot execute hook program").contains("chmod a+rx"));
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-x---"));
        assertThat(FileAccess.problem(root, hook, FileAccess.Kind.PROGRAM)).isEmpty();
        assertThat(FileAccess.problem(groupMember, hook, FileAccess.Kind.PROGRAM)).isEmpty();
    }

    @Test
    void checkConfigWithUserSaysNoForAnUnreadableKeyAndExitsWithExConfig() throws IOException {
        secret("a.key");
        Path conf = config("");
        Outcome plain = run(new CheckConfigCommand(), conf.toString());
        assertThat(plain.exitCode()).as("as the file's owner everything is readable; stderr: %s", plain.stderr())
                .isZero();

        FileAccess.Accounts fake = name -> name.equals("svc") ? Optional.of(groupMember) : Optional.empty();
        Outcome asSvc = run(new CheckConfigCommand(fake), "--user", "svc", conf.toString());
        assertThat(asSvc.exitCode()).isEqualTo(ExitStatus.CONFIG);
        assertThat(asSvc.stderr()).contains("user svc cannot read key file " + dir.resolve("a.key"))
                .contains("chown svc:svcgroup ");
        assertThat(asSvc.stdout()).isEmpty();

        Outcome noSuchUser = run(new CheckConfigCommand(fake), "--user", "nobody-here", conf.toString());
        assertThat(noSuchUser.exitCode()).isEqualTo(ExitStatus.CONFIG);
        assertThat(noSuchUser.stderr()).contains("no user nobody-here");
    }

    @Test
    void checkConfigWithUserChecksIncludesAndHookPrograms() throws IOException {
        secret("a.key");
        FileAccess.Account owner = new FileAccess.Account("me", ownUid, ownGid, "megroup", Set.of(ownGid));
        Path included = Files.writeString(dir.resolve("extra.conf"), "culvert.log-level = info\n");
        Files.setPosixFilePermissions(included, PosixFilePermissions.fromString("rw-------"));
        Path hook = Files.writeString(dir.resolve("up.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rw-------"));
        Path conf = config("include \"" + included + "\"\n", "up = [\"" + hook + " %dev%\"]");

        FileAccess.Account svcOwnsKey = new FileAccess.Account("svc", ownUid, ownGid, "svcgroup", Set.of(ownGid));
        Outcome outcome = run(new CheckConfigCommand(name -> Optional.of(svcOwnsKey)), "-u", "svc", conf.toString());
        assertThat(outcome.exitCode()).as("stderr: %s", outcome.stderr()).isEqualTo(ExitStatus.CONFIG);
        // Not executable by anyone: the config check itself says so, at its line, whoever runs it.
        assertThat(outcome.stderr()).contains("culvert.tunnels.t1.up[0]: hook program " + hook + " is not executable")
                .doesNotContain("a.key");
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwx------"));
        Outcome ok = run(new CheckConfigCommand(name -> Optional.of(owner)), "-u", "me", conf.toString());
        assertThat(ok.stdout()).as("stderr: %s", ok.stderr()).contains("OK")
                .contains("user me can read every file it names");

        // A service user in the group but not the owner: the include (0600) is named too.
        Outcome group = run(new CheckConfigCommand(name -> Optional.of(groupMember)), "-u", "svc", conf.toString());
        assertThat(group.stderr()).contains("cannot read config file " + included);
    }

    private Path secret(String name) throws IOException {
        Path key = dir.resolve(name);
        Files.writeString(key, Keys.encode(X25519.generatePrivateKey(new SecureRandom())) + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        return key;
    }

    private Path config(String head, String... tunnelExtra) throws IOException {
        String peer = Keys.encode(X25519.publicKey(X25519.generatePrivateKey(new SecureRandom())));
        Path conf = dir.resolve("site.conf");
        Files.writeString(conf, head + """
                culvert {
                  private-key-file = a.key
                  listen.udp = "192.0.2.1:51820"
                  metrics.bind = off
                  control.socket = a.sock
                  tunnels {
                    t1 {
                      device { name = cv0, address = "198.18.0.1/30" }
                      peer { public-key = "%PEER%", allowed-ips = ["198.18.0.2/32"] }
                      %EXTRA%
                    }
                  }
                }
                """.replace("%PEER%", peer).replace("%EXTRA%", String.join("\n", tunnelExtra)));
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-r-----"));
        return conf;
    }

    record Outcome(int exitCode, String stdout, String stderr) {}

    static Outcome run(Object command, String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int exitCode;
        try {
            System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
            exitCode = new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new Outcome(exitCode, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
    }
}
