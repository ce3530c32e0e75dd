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
        + "and SITE.key, a new private key (mode 0600). Modern tunnels by default (this site's public key and the "
        + "steps to give it to the peer are printed); with --legacy, vtun-legacy tunnels that keep today's vtund "
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

    @Option(names = "--name", paramLabel = "SITE", description = "base name of the files (SITE.conf, SITE.key; "
            + "culvert@SITE runs /etc/culvert/SITE.conf). Default: the session's name when one --session is given, "
            + "else the vtund.conf's file name without .conf")
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

    @Option(names = "--type", paramLabel = "tun|ether", description = "a client's tunnel type when its file does not "
            + "say (vtund's server decides it)")
    String type;

    @Option(names = "--proto", paramLabel = "tcp|udp", description = "a client's transport when its file does not say "
            + "(vtund's server decides it)")
    String proto;

    @Option(names = "--peer-key", paramLabel = "[SESSION=]KEY", description = "the peer's public key for a modern "
            + "tunnel (the peer prints it when it imports); SESSION= may be left out when one --session is given. "
            + "Without it the config says where the key goes and check-config reports it missing")
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
        if (type != null && !type.equals("tun") && !type.equals("ether")) {
            throw usage("--type takes tun or ether, not " + type);
        }
        if (proto != null && !proto.equals("tcp") && !proto.equals("udp")) {
            throw usage("--proto takes tcp or udp, not " + proto);
        }
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
                if (sessions.size() != 1) {
                    throw usage("--peer-key without SESSION= needs exactly one --session");
                }
                sessionPart = sessions.get(0);
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
            plan = VtundImport.plan(new VtundImport.Request(conf, sessions, legacy, requestedRole, server, type, proto,
                    keys, site), HookPrograms.searchPath());
        } catch (VtundImport.UsageException e) {
            throw usage(e.getMessage());
        } catch (VtundImport.NothingToImportException e) {
            err.println("culvert import-vtund: " + e.getMessage());
            return ExitStatus.CONFIG;
        }
        for (String k : keys.keySet()) {
            if (plan.tunnels().stream().noneMatch(t -> t.name().equals(k) || t.session().equals(k))) {
                throw usage("--peer-key " + k + "=...: no such tunnel imported");
            }
        }
        String config = VtundImport.render(plan);

        Path configFile = out.resolve(plan.configFile());
        Path keyFile = out.resolve(plan.keyFile());
        List<Path> all = new ArrayList<>(List.of(configFile, keyFile));
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
        byte[] privateKey = X25519.generatePrivateKey(new SecureRandom());
        String publicKey = Keys.encode(X25519.publicKey(privateKey));
        List<Path> written = new ArrayList<>();
        try {
            writeSecret(keyFile, Keys.encode(privateKey) + "\n", written);
            for (VtundImport.Tunnel t : plan.tunnels()) {
                if (t.passwordFile() != null) {
                    writeSecret(out.resolve(t.passwordFile()), t.password(), written);
                }
            }
            Files.writeString(configFile, config, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE_NEW);
            written.add(configFile);
        } catch (FileAlreadyExistsException e) {
            err.println("culvert import-vtund: " + e.getFile() + " appeared while writing: refusing to overwrite it; "
                    + "written so far: " + written);
            return CANT_CREATE;
        } catch (IOException e) {
            err.println("culvert import-vtund: cannot write " + e.getMessage() + "; written so far: " + written);
            return ExitStatus.FAILURE;
        } finally {
            Secrets.wipe(privateKey);
        }
        report(stdout, plan, conf, configFile, keyFile, publicKey);
        stdout.flush();
        return ExitStatus.OK;
    }

    /** Creates {@code file} with mode 0600 from the start (never a moment readable by others). */
    private static void writeSecret(Path file, String content, List<Path> written) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        written.add(file);
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }

    private void report(PrintWriter o, VtundImport.Plan plan, VtundConf conf, Path configFile, Path keyFile,
                        String publicKey) {
        String src = conf.file().toString();
        o.println("Imported " + src + " as a " + plan.role().name().toLowerCase(Locale.ROOT) + " (" + plan.roleReason()
                + "); tunnels: " + String.join(", ", plan.tunnels().stream().map(t -> t.name() + " (session "
                        + t.session() + ", " + t.transport() + ")").toList()));
        o.println("Wrote " + configFile + " (config), " + keyFile + " (this site's private key, mode 0600)"
                + (plan.legacy() ? ", and one password file per tunnel (mode 0600): " + String.join(", ",
                        plan.tunnels().stream().map(VtundImport.Tunnel::passwordFile).toList()) : ""));
        conf.warnings().forEach(w -> o.println("warning: " + src + ":" + w.line() + ": " + w.message()));
        section(o, "Not carried over", plan.notCarried(), src);
        section(o, "Chosen (check these)", plan.chosen(), src);
        section(o, "Carried over", plan.carried(), src);
        o.println();
        o.println("This site's public key: " + publicKey);
        o.println();
        o.println("Next steps:");
        int n = 1;
        String conf0 = "/etc/culvert/" + plan.configFile();
        if (plan.legacy()) {
            o.println(n++ + ". Copy " + configFile + ", " + keyFile + " and the password files to /etc/culvert/, "
                    + "owned by the daemon's user: chown culvert: /etc/culvert/" + plan.keyFile()
                    + " /etc/culvert/*.vtun-password");
            o.println(n++ + ". culvert check-config --user culvert " + conf0 + "   (vtun-legacy tunnels need a "
                    + "Culvert with the legacy transport)");
            o.println(n++ + ". Stop vtund here (systemctl stop vtun, or kill the vtund process), then: systemctl "
                    + "enable --now culvert@" + plan.configFile().replaceFirst("\\.conf$", ""));
            o.println(n++ + ". Confirm: culvert show (the tunnel is up once the vtund peer " + (plan.role()
                    == VtundImport.Role.SERVER ? "connects" : "accepts") + "); the peer keeps running vtund as today");
            o.println(n++ + ". Later, move both ends to a modern tunnel: run import-vtund without --legacy on both "
                    + "(README, Migrating from vtund)");
            return;
        }
        o.println(n++ + ". Send this site's public key (above; it is not secret) to the peer's admin.");
        o.println(n++ + ". The peer imports its own vtund.conf with it: culvert import-vtund /etc/vtund.conf"
                + (plan.role() == VtundImport.Role.SERVER ? " --server THIS_HOST" : " --role server")
                + " --peer-key " + (plan.tunnels().size() == 1 ? "" : "SESSION=") + publicKey
                + "   (or, if it imported already, sets peer.public-key = \"" + publicKey + "\" in its tunnel)");
        List<VtundImport.Tunnel> missing = plan.tunnels().stream().filter(t -> t.peerKey().isEmpty()).toList();
        if (!missing.isEmpty()) {
            o.println(n++ + ". Put the peer's public key (it prints it when it imports) into " + configFile + ": "
                    + String.join("; ", missing.stream().map(t -> "tunnel " + t.name() + ", line " + t.peerKeyLine()
                            + ": public-key = \"PEER-KEY\"").toList()) + ". Until then check-config reports it missing.");
        }
        o.println(n++ + ". Copy " + configFile + " and " + keyFile + " to /etc/culvert/, the key owned by the "
                + "daemon's user: chown culvert: /etc/culvert/" + plan.keyFile() + "; then culvert check-config --user "
                + "culvert " + conf0);
        o.println(n++ + ". Stop vtund on both ends, then on each: systemctl enable --now culvert@"
                + plan.configFile().replaceFirst("\\.conf$", "") + "; confirm with culvert show and a ping "
                + "across the tunnel");
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
