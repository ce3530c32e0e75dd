package dev.culvert.daemon.cli;

import dev.culvert.config.HookPrograms;
import dev.culvert.crypto.Keys;
import dev.culvert.crypto.Secrets;
import dev.culvert.crypto.X25519;
import dev.culvert.daemon.vtund.VtundConf;
import dev.culvert.daemon.vtund.VtundImport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code culvert import-vtund FILE}: a vtund.conf ({@link VtundConf}) to one Culvert config ({@link VtundImport}),
 * a new key pair and, with {@code --legacy}, one password file per session. Files are created, never replaced:
 * if one exists nothing is written (exit 73, EX_CANTCREAT of sysexits.h).
 */
@Command(name = "import-vtund", description = {"Turn a vtund.conf (vtund 3.0.4: options, default and session "
        + "sections, up/down blocks) into one Culvert config for this site: SITE.conf with a tunnel per session, "
        + "and SITE.key, a new private key (mode 0600) — for a modern client with several sessions one config and "
        + "key per session (TUNNEL.conf, TUNNEL.key), as a peer's key belongs to one tunnel, each with its own "
        + "metrics port: 9586 + the session's place among the file's sessions, the same when one --session is "
        + "imported at a time. Modern tunnels by default (the public key and the steps to give it to the peer are "
        + "printed); with --legacy, vtun-legacy tunnels that keep today's vtund "
        + "peer working, each session's password in its own 0600 file (never in the config or the output). Every "
        + "option that cannot be carried over is listed with its line and reason, in the output and the config. "
        + "Nothing is overwritten. Exit 0 written; 2 usage (the file does not say which end it is: give --role, "
        + "--server); 73 an output file exists (nothing written); 78 the vtund.conf cannot be read or parsed "
        + "(file:line: message), a named session is missing, or no session can be carried over; 1 a file could "
        + "not be written."})
final class ImportVtundCommand implements Callable<Integer> {
    /** sysexits.h EX_CANTCREAT: an output file cannot be created. */
    static final int CANT_CREATE = 73;

    @Parameters(paramLabel = "VTUND_CONF", description = "the vtund.conf to read (e.g. /etc/vtund.conf)")
    Path file;

    @Option(names = "--session", paramLabel = "NAME", description = "import only this session; repeat it for more "
            + "(default: every complete session)")
    List<String> sessions = new ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR", description = "where to write the files (default: the current "
            + "directory); it must exist")
    Path out = Path.of("");

    @Option(names = "--name", paramLabel = "SITE", description = "base name of the files (SITE.conf, SITE.key, "
            + "SITE-TUNNEL.vtun-password; a modern client with several sessions: SITE-TUNNEL.conf and .key; "
            + "culvert@SITE runs /etc/culvert/SITE.conf). Default: the session's name when one --session is given, "
            + "else the vtund.conf's file name without .conf (password files: TUNNEL.vtun-password; a modern "
            + "client with several sessions: TUNNEL.conf and .key)")
    String name;

    @Option(names = "--legacy", description = "write vtun-legacy tunnels (vtund's protocol, for a vtund peer) "
            + "instead of modern ones")
    boolean legacy;

    @Option(names = "--role", paramLabel = "server|client", description = "which end the file is (vtund -s, or "
            + "vtund SESSION HOST); default: told from the file (bindaddr, type, multi: server; persist, srcaddr: "
            + "client), else required")
    String role;

    @Option(names = "--server", paramLabel = "HOST", description = "a client's server (vtund's HOST argument): the "
            + "tunnels' peer.endpoint is HOST:PORT with the options' port (default 5000); implies --role client")
    String server;

    @Option(names = "--type", paramLabel = "[SESSION=]tun|ether", description = "a client's tunnel type, as the "
            + "server's file has it (vtund's server decides it; it overrides the client's file): SESSION=tun|ether for "
            + "one session, repeat it for more (e.g. --type cobra=tun --type lion=ether), or a bare value for every "
            + "session without its own")
    List<String> types = new ArrayList<>();

    @Option(names = "--proto", paramLabel = "[SESSION=]tcp|udp", description = "a modern client's transport, as the "
            + "server's file has it (vtund's server decides it; a vtun-legacy client follows the server and needs "
            + "none): SESSION=tcp|udp for one session, repeat it for more, or a bare value for every session without "
            + "its own")
    List<String> protos = new ArrayList<>();

    @Option(names = "--peer-key", paramLabel = "[SESSION=]KEY", description = "the peer's public key for a modern "
            + "tunnel (the peer prints it when it imports); SESSION= may be left out when one --session is given, "
            + "and on a client (the server's one key, for every session). A server's tunnels each need a different "
            + "key: a client with several sessions writes one config, with its own key, per session. Without it "
            + "the config says where the key goes and check-config reports it missing")
    List<String> peerKeys = new ArrayList<>();

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        VtundImport.Role requestedRole = null;
        if (role != null) {
            switch (role.toLowerCase(Locale.ROOT)) {
                case "server" -> requestedRole = VtundImport.Role.SERVER;
                case "client" -> requestedRole = VtundImport.Role.CLIENT;
                default -> throw usage("--role takes server or client, not " + role);
            }
        }
        if (requestedRole == VtundImport.Role.SERVER && server != null) {
            throw usage("--server is a client's server: leave it out with --role server");
        }
        Map<String, String> typeBySession = perSession("--type", types, List.of("tun", "ether"));
        Map<String, String> protoBySession = perSession("--proto", protos, List.of("tcp", "udp"));
        if (legacy && !peerKeys.isEmpty()) {
            throw usage("--peer-key is for modern tunnels: vtun-legacy tunnels use the session's password");
        }
        Map<String, String> keys = new LinkedHashMap<>();
        for (String k : peerKeys) {
            int eq = k.indexOf('=', 0);
            // a base64 key ends in '=': SESSION= is the part before the first '=' only if it is not the key's padding
            String sessionPart = eq > 0 && eq < k.length() - 1 ? k.substring(0, eq) : null;
            String key = sessionPart == null ? k : k.substring(eq + 1);
            try {
                Keys.parse(key);
            } catch (IllegalArgumentException e) {
                throw usage("--peer-key " + k + ": not a public key (" + e.getMessage() + ")");
            }
            if (sessionPart == null) {
                sessionPart = sessions.size() == 1 ? sessions.get(0) : VtundImport.ANY_TUNNEL;
            }
            keys.put(sessionPart, key);
        }

        VtundConf conf;
        try {
            conf = VtundConf.read(file);
        } catch (IOException e) {
            err.println("culvert import-vtund: cannot read " + file + ": " + e.getMessage());
            return ExitStatus.CONFIG;
        } catch (VtundConf.ParseException e) {
            err.println(e.getMessage());
            return ExitStatus.CONFIG;
        }
        String site = name != null ? name : sessions.size() == 1 ? sessions.get(0).toLowerCase(Locale.ROOT)
                : stem(file);
        VtundImport.Plan plan;
        try {
            plan = VtundImport.plan(new VtundImport.Request(conf, sessions, legacy, requestedRole, server,
                    typeBySession, protoBySession, keys, site, name != null), HookPrograms.searchPath());
        } catch (VtundImport.UsageException e) {
            throw usage(e.getMessage());
        } catch (VtundImport.NothingToImportException e) {
            err.println("culvert import-vtund: " + e.getMessage());
            return ExitStatus.CONFIG;
        }
        boolean server = plan.role() == VtundImport.Role.SERVER;
        requireImported(plan, "--type", typeBySession);
        requireImported(plan, "--proto", protoBySession);
        for (String k : keys.keySet()) {
            if (k.equals(VtundImport.ANY_TUNNEL)) {
                if (server && plan.tunnels().size() > 1) {
                    throw usage("--peer-key without SESSION=: this server's tunnels each expect their own client key "
                            + "(the client writes one config, with its own key, per session): give SESSION=KEY for "
                            + "each");
                }
            } else if (!imported(plan, k)) {
                throw usage("--peer-key " + k + "=...: no such tunnel imported");
            }
        }
        if (server && new java.util.HashSet<>(keys.values()).size() < keys.size()) {
            throw usage("--peer-key: the same key for two tunnels; a peer's key belongs to one tunnel: the client "
                    + "writes one config, with its own key, per session, and prints each");
        }
        List<VtundImport.Plan> parts = VtundImport.outputs(plan, name != null);
        List<Output> outputs = new ArrayList<>();
        for (VtundImport.Plan part : parts) {
            outputs.add(new Output(part, VtundImport.render(part), out.resolve(part.configFile()),
                    out.resolve(part.keyFile())));
        }
        List<Path> all = new ArrayList<>();
        for (Output o : outputs) {
            all.add(o.configFile());
            all.add(o.keyFile());
        }
        for (VtundImport.Tunnel t : plan.tunnels()) {
            if (t.passwordFile() != null) {
                all.add(out.resolve(t.passwordFile()));
            }
        }
        if (!Files.isDirectory(out.toAbsolutePath())) {
            err.println("culvert import-vtund: --out " + out + " is not a directory");
            return ExitStatus.FAILURE;
        }
        List<Path> existing = all.stream().filter(p -> Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                .toList();
        if (!existing.isEmpty()) {
            err.println("culvert import-vtund: refusing to overwrite " + String.join(", ", existing.stream()
                    .map(Path::toString).toList()) + ": nothing written (move them away, or give --out DIR or "
                    + "--name SITE)");
            return CANT_CREATE;
        }
        List<String> publicKeys = new ArrayList<>();
        List<Path> written = new ArrayList<>();
        try {
            for (Output o : outputs) {
                byte[] privateKey = X25519.generatePrivateKey(new SecureRandom());
                try {
                    publicKeys.add(Keys.encode(X25519.publicKey(privateKey)));
                    writeSecret(o.keyFile(), Keys.encode(privateKey) + "\n", written);
                } finally {
                    Secrets.wipe(privateKey);
                }
            }
            for (VtundImport.Tunnel t : plan.tunnels()) {
                if (t.passwordFile() != null) {
                    writeSecret(out.resolve(t.passwordFile()), t.password(), written);
                }
            }
            for (Output o : outputs) {
                Files.writeString(o.configFile(), o.config(), StandardCharsets.UTF_8,
                        java.nio.file.StandardOpenOption.CREATE_NEW);
                written.add(o.configFile());
            }
        } catch (FileAlreadyExistsException e) {
            err.println("culvert import-vtund: " + e.getFile() + " appeared while writing: refusing to overwrite it; "
                    + "written so far: " + written);
            return CANT_CREATE;
        } catch (IOException e) {
            err.println("culvert import-vtund: cannot write " + e.getMessage() + "; written so far: " + written);
            return ExitStatus.FAILURE;
        }
        report(stdout, plan, conf, outputs, publicKeys);
        stdout.flush();
        return ExitStatus.OK;
    }

    /** A {@code SESSION=VALUE} for a session this run does not import is a usage error, as with --peer-key. */
    private void requireImported(VtundImport.Plan plan, String option, Map<String, String> bySession) {
        for (Map.Entry<String, String> e : bySession.entrySet()) {
            if (!e.getKey().equals(VtundImport.ANY_TUNNEL) && !imported(plan, e.getKey())) {
                throw usage(option + " " + e.getKey() + "=" + e.getValue() + ": no such session imported (imported: "
                        + String.join(", ", plan.tunnels().stream().map(VtundImport.Tunnel::session).toList()) + ")");
            }
        }
    }

    private static boolean imported(VtundImport.Plan plan, String sessionOrTunnel) {
        return plan.tunnels().stream().anyMatch(t -> t.name().equals(sessionOrTunnel)
                || t.session().equals(sessionOrTunnel));
    }

    /**
     * A repeatable {@code [SESSION=]VALUE} option: by session, a bare value under {@link VtundImport#ANY_TUNNEL}.
     * A value not in {@code allowed}, or a session (or the bare value) given twice, is a usage error.
     */
    private Map<String, String> perSession(String option, List<String> given, List<String> allowed) {
        Map<String, String> bySession = new LinkedHashMap<>();
        for (String g : given) {
            int eq = g.lastIndexOf('=');
            String session = eq < 0 ? VtundImport.ANY_TUNNEL : g.substring(0, eq);
            String value = g.substring(eq + 1);
            if (!allowed.contains(value)) {
                throw usage(option + " takes " + String.join(" or ", allowed) + ", or SESSION=" + String.join("|",
                        allowed) + " for one session, not " + g);
            }
            if (session.isEmpty()) {
                throw usage(option + " " + g + ": the session's name is missing before '='");
            }
            String before = bySession.put(session, value);
            if (before != null) {
                throw usage(option + (session.equals(VtundImport.ANY_TUNNEL) ? " without SESSION=" : " " + session
                        + "=") + " given twice (" + before + ", " + value + ")");
            }
        }
        return bySession;
    }

    /** Creates {@code file} with mode 0600 from the start (never a moment readable by others). */
    private static void writeSecret(Path file, String content, List<Path> written) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        written.add(file);
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }

    /** One config to write: its plan, its text and its two files. */
    private record Output(VtundImport.Plan plan, String config, Path configFile, Path keyFile) {}

    private void report(PrintWriter o, VtundImport.Plan plan, VtundConf conf, List<Output> outputs,
                        List<String> publicKeys) {
        String src = conf.file().toString();
        boolean server = plan.role() == VtundImport.Role.SERVER;
        boolean split = outputs.size() > 1;
        o.println("Imported " + src + " as a " + plan.role().name().toLowerCase(Locale.ROOT) + " (" + plan.roleReason()
                + "); tunnels: " + String.join(", ", plan.tunnels().stream().map(t -> t.name() + " (session "
                        + t.session() + ", " + t.transport() + ")").toList()));
        for (Output out : outputs) {
            o.println("Wrote " + out.configFile() + " (config), " + out.keyFile() + " (" + (split ? "tunnel "
                    + out.plan().tunnels().get(0).name() + "'s" : "this site's") + " private key, mode 0600)"
                    + (out.plan().metricsBind() == null ? "" : ", metrics on " + out.plan().metricsBind())
                    + (plan.legacy() ? ", and one password file per tunnel (mode 0600): " + String.join(", ",
                            plan.tunnels().stream().map(VtundImport.Tunnel::passwordFile).toList()) : ""));
        }
        conf.warnings().forEach(w -> o.println("warning: " + src + ":" + w.line() + ": " + w.message()));
        section(o, "Not carried over", plan.notCarried(), src);
        section(o, "Chosen (check these)", plan.chosen(), src);
        section(o, "Carried over", plan.carried(), src);
        o.println();
        if (split) {
            o.println("This site's public keys, one per config (a peer's key belongs to one tunnel):");
            for (int i = 0; i < outputs.size(); i++) {
                o.println("  " + outputs.get(i).plan().tunnels().get(0).session() + ": " + publicKeys.get(i) + "   ("
                        + outputs.get(i).plan().configFile() + ")");
            }
        } else {
            o.println("This site's public key: " + publicKeys.get(0));
        }
        o.println();
        o.println("Next steps:");
        int n = 1;
        List<String> instances = outputs.stream().map(x -> "culvert@" + x.plan().configFile()
                .replaceFirst("\\.conf$", "")).toList();
        String checks = String.join("; ", outputs.stream().map(x -> "culvert check-config --user culvert /etc/culvert/"
                + x.plan().configFile()).toList());
        if (plan.legacy()) {
            String conf0 = "/etc/culvert/" + plan.configFile();
            o.println(n++ + ". Copy " + outputs.get(0).configFile() + ", " + outputs.get(0).keyFile() + " and the "
                    + "password files to /etc/culvert/, owned by the daemon's user: chown culvert: /etc/culvert/"
                    + plan.keyFile() + " " + String.join(" ", plan.tunnels().stream().map(t -> "/etc/culvert/"
                            + t.passwordFile()).toList()));
            o.println(n++ + ". culvert check-config --user culvert " + conf0);
            o.println(n++ + ". Stop vtund here (systemctl stop vtun, or kill the vtund process), then: systemctl "
                    + "enable --now " + instances.get(0));
            o.println(n++ + ". Confirm: culvert show (the tunnel is up once the vtund peer " + (server ? "connects"
                    : "accepts") + "); the peer keeps running vtund as today");
            o.println(n++ + ". Later, move both ends to a modern tunnel: run import-vtund without --legacy on both "
                    + "(README, Migrating from vtund)");
            return;
        }
        if (split) {
            o.println(n++ + ". Send these public keys (above; they are not secret) to the server's admin: each goes "
                    + "into the server's tunnel of its session, a different key per tunnel: import-vtund ... "
                    + String.join(" ", outputs.stream().map(x -> "--peer-key " + x.plan().tunnels().get(0).session()
                            + "=" + publicKeys.get(outputs.indexOf(x))).toList())
                    + "   (or, if it imported already, peer.public-key in each tunnel, at the lines it printed)");
        } else {
            o.println(n++ + ". Send this site's public key (above; it is not secret) to the peer's admin.");
            if (server) {
                o.println(n++ + ". The client imports its own vtund.conf with it: culvert import-vtund /etc/vtund.conf "
                        + "--server THIS_HOST" + perSession("--type", plan, t -> t.mode().equals("tap") ? "ether"
                        : "tun") + perSession("--proto", plan, VtundImport.Tunnel::transport)
                        + " --peer-key " + publicKeys.get(0) + (plan.tunnels().size() > 1
                        ? "   (with several sessions it writes one config, with its own key, per session and prints "
                        + "each key: a peer's key belongs to one tunnel)" : "")
                        + "   (or, if it imported already, sets peer.public-key = \"" + publicKeys.get(0)
                        + "\" in each tunnel)");
            } else {
                o.println(n++ + ". The server imports its own vtund.conf with it: culvert import-vtund /etc/vtund.conf "
                        + "--role server --peer-key " + (plan.tunnels().size() == 1 ? plan.tunnels().get(0).session()
                        + "=" : "SESSION=") + publicKeys.get(0) + "   (or, if it imported already, sets "
                        + "peer.public-key = \"" + publicKeys.get(0) + "\" in its tunnel "
                        + plan.tunnels().get(0).name() + ")");
            }
        }
        List<String> missing = new ArrayList<>();
        for (Output out : outputs) {
            out.plan().tunnels().stream().filter(t -> t.peerKey().isEmpty()).forEach(t -> missing.add(
                    out.configFile() + ", tunnel " + t.name() + ", line " + t.peerKeyLine() + ": " + t.peerKeyText()));
        }
        if (!missing.isEmpty()) {
            o.println(n++ + ". Put the peer's public key (it prints it when it imports) into the config. "
                    + (missing.size() == 1 ? "This line is" : "These lines are") + " commented out: uncomment "
                    + (missing.size() == 1 ? "it" : "each") + " (delete the \"# \") and replace the placeholder in "
                    + "capitals with " + (server ? "the client's key for that session" : "the server's key") + ":");
            missing.forEach(m -> o.println("     " + m));
            o.println("   " + (server && plan.tunnels().size() > 1 ? "Each tunnel takes a different key: the client's "
                    + "config for that session. " : "") + "Until then check-config reports the key missing.");
        }
        o.println(n++ + ". Copy " + String.join(", ", outputs.stream().map(x -> x.configFile() + " and "
                + x.keyFile()).toList()) + " to /etc/culvert/, the key" + (split ? "s" : "") + " owned by the daemon's "
                + "user: chown culvert: " + String.join(" ", outputs.stream().map(x -> "/etc/culvert/"
                        + x.plan().keyFile()).toList()) + "; then " + checks);
        o.println(n++ + ". Stop vtund on both ends, then here: systemctl enable --now " + String.join(" ", instances)
                + " (the peer starts its own); confirm with culvert show" + (split ? " --config /etc/culvert/NAME.conf"
                : "") + " and a ping across the tunnel");
    }

    /**
     * {@code --type tun} when every tunnel has the same value, else {@code --type cobra=tun --type lion=ether}: what
     * the client gives for what a server's file says.
     */
    private static String perSession(String option, VtundImport.Plan plan,
                                     java.util.function.Function<VtundImport.Tunnel, String> value) {
        java.util.Set<String> values = new java.util.TreeSet<>(plan.tunnels().stream().map(value).toList());
        if (values.size() == 1) {
            return " " + option + " " + values.iterator().next();
        }
        return String.join("", plan.tunnels().stream().map(t -> " " + option + " " + t.session() + "="
                + value.apply(t)).toList());
    }

    private static void section(PrintWriter o, String title, List<VtundImport.Item> items, String src) {
        if (items.isEmpty()) {
            return;
        }
        o.println();
        o.println(title + " (" + items.size() + "):");
        items.forEach(i -> o.println("  " + i.format(src)));
    }

    private static String stem(Path file) {
        String f = file.getFileName().toString();
        return (f.endsWith(".conf") ? f.substring(0, f.length() - 5) : f).toLowerCase(Locale.ROOT);
    }

    private picocli.CommandLine.ParameterException usage(String message) {
        return new picocli.CommandLine.ParameterException(spec.commandLine(), message);
    }
}
