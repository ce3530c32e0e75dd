package dev.culvert.daemon.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Whether a given user can read (and, for a hook's program, execute) a file, decided from the owner, group and
 * mode bits of the file and of every directory above it, as the kernel decides for a process of that user
 * (path_resolution(7): search permission on each directory, then the owner, group or other class of the file;
 * uid 0 passes every read and search, and executes a file with any x bit). POSIX ACLs and capabilities other
 * than root's are not modelled, so a "no" may be too strict where an ACL grants access; a "yes" holds.
 *
 * <p>This is what {@code culvert check-config --user culvert} runs, as root, for the daemon's user: root reads
 * everything, so a plain check as root says nothing about the service.
 */
final class FileAccess {
    private FileAccess() {}

    /**
     * A user as the kernel sees one for permission checks.
     *
     * @param name   the login name, for messages
     * @param uid    its user id
     * @param gid    its primary group id
     * @param group  its primary group's name, for the fixes offered ({@code nobody}'s is {@code nogroup}: a
     *               group named after the user may not exist)
     * @param groups every group id it belongs to, the primary one included
     */
    record Account(String name, int uid, int gid, String group, Set<Integer> groups) {
        Account {
            groups = Set.copyOf(groups);
        }
    }

    /** Finds a user by name. */
    interface Accounts {
        /**
         * @return the account, or empty if there is no such user
         * @throws IOException if the look-up itself failed
         */
        Optional<Account> lookup(String name) throws IOException;
    }

    /** The system's accounts (NSS included), through {@code id(1)} from coreutils. */
    static final Accounts SYSTEM = name -> {
        if (name.isEmpty() || name.startsWith("-")) {
            return Optional.empty();
        }
        Optional<String> uid = id("-u", name);
        if (uid.isEmpty()) {
            return Optional.empty();
        }
        String gid = id("-g", name).orElseThrow(() -> new IOException("id -g " + name + " failed"));
        String group = id("-gn", name).orElseThrow(() -> new IOException("id -gn " + name + " failed")).trim();
        String groups = id("-G", name).orElseThrow(() -> new IOException("id -G " + name + " failed"));
        Set<Integer> all = new LinkedHashSet<>();
        for (String g : groups.trim().split("\\s+")) {
            all.add(Integer.parseInt(g));
        }
        return Optional.of(new Account(name, Integer.parseInt(uid.get().trim()), Integer.parseInt(gid.trim()), group, all));
    };

    private static Optional<String> id(String option, String name) throws IOException {
        Process p = new ProcessBuilder("id", option, "--", name).redirectErrorStream(false).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.getErrorStream().readAllBytes();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("id " + option + " " + name + " did not finish in 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while looking up user " + name, e);
        }
        return p.exitValue() == 0 ? Optional.of(out) : Optional.empty();
    }

    /** What a file is for: decides the access needed and the fix offered. */
    enum Kind {
        /** The config file or a file it includes: read; fix by group. */
        CONFIG("config file"),
        /** A private or preshared key file: read; the daemon requires it to be its own, mode 0600. */
        KEY("key file"),
        /** A hook's program: read and execute. */
        PROGRAM("hook program");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    /**
     * Why {@code user} cannot use {@code file} as {@code kind} needs, with the command that fixes it; empty if it
     * can.
     *
     * @param file an absolute path; symbolic links are followed
     */
    static Optional<String> problem(Account user, Path file, Kind kind) {
        Path real;
        try {
            real = file.toRealPath();
        } catch (IOException e) {
            return Optional.of(file + ": " + kind.label + " cannot be found or resolved (" + e.getClass().getSimpleName()
                    + ")");
        }
        List<Path> dirs = new ArrayList<>();
        for (Path dir = real.getParent(); dir != null; dir = dir.getParent()) {
            dirs.add(0, dir);
        }
        for (Path dir : dirs) {
            Mode mode;
            try {
                mode = Mode.of(dir);
            } catch (IOException e) {
                return Optional.of(dir + ": cannot read its owner and mode (" + e.getClass().getSimpleName() + ")");
            }
            if (!mode.allows(user, 1)) {
                return Optional.of("user " + user.name() + " cannot reach " + file + ": it may not enter " + dir
                        + " (" + mode + "); fix: chgrp " + user.group() + " " + dir + " && chmod g+x " + dir);
            }
        }
        Mode mode;
        try {
            mode = Mode.of(real);
        } catch (IOException e) {
            return Optional.of(real + ": cannot read its owner and mode (" + e.getClass().getSimpleName() + ")");
        }
        boolean read = mode.allows(user, 4);
        boolean execute = kind != Kind.PROGRAM || (user.uid() == 0 ? (mode.bits & 0111) != 0 : mode.allows(user, 1));
        if (read && execute) {
            return Optional.empty();
        }
        String what = "user " + user.name() + " cannot " + (read ? "execute" : "read") + " " + kind.label + " "
                + file + " (" + mode + "); fix: ";
        return Optional.of(what + switch (kind) {
            case KEY -> "chown " + user.name() + ":" + user.group() + " " + real + " && chmod 0600 " + real;
            case CONFIG -> "chgrp " + user.group() + " " + real + " && chmod g+r " + real;
            case PROGRAM -> "chmod a+rx " + real + " (or chgrp " + user.group() + " " + real + " && chmod g+rx " + real + ")";
        });
    }

    /** Owner, group and permission bits of one file or directory. */
    private record Mode(int uid, int gid, int bits, String owner, String group) {
        static Mode of(Path p) throws IOException {
            int uid = (Integer) Files.getAttribute(p, "unix:uid");
            int gid = (Integer) Files.getAttribute(p, "unix:gid");
            int bits = (Integer) Files.getAttribute(p, "unix:mode") & 07777;
            String owner = Files.getOwner(p).getName();
            String group = ((java.nio.file.attribute.GroupPrincipal) Files.getAttribute(p, "posix:group")).getName();
            return new Mode(uid, gid, bits, owner, group);
        }

        /** {@code want}: 4 read, 1 execute/search. */
        boolean allows(Account user, int want) {
            if (user.uid() == 0) {
                return true;
            }
            int shift = user.uid() == uid ? 6 : user.groups().contains(gid) || user.gid() == gid ? 3 : 0;
            return ((bits >> shift) & want) == want;
        }

        @Override
        public String toString() {
            return "owner " + owner + ":" + group + ", mode " + String.format("%04o", bits);
        }
    }
}
