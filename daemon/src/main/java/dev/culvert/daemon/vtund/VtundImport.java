package dev.culvert.daemon.vtund;

import com.typesafe.config.ConfigUtil;
import dev.culvert.config.Cidr;
import dev.culvert.config.HookPrograms;
import dev.culvert.daemon.vtund.HookTranslation.Piece;
import dev.culvert.daemon.vtund.HookTranslation.Placeholder;
import dev.culvert.daemon.vtund.VtundConf.Command;
import dev.culvert.daemon.vtund.VtundConf.CommandKind;
import dev.culvert.daemon.vtund.VtundConf.Session;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a vtund.conf becomes in Culvert: one site's config (HOCON) with a tunnel per session, and the list of what
 * could not be carried over, each with its line and reason. Pure: no files, no keys (the command writes those).
 *
 * <p>Modern tunnels ({@code transport = udp|tcp}, WireGuard's cryptography) or, with {@code legacy}, tunnels of the
 * shared schema of issue 12 ({@code transport = vtun-legacy}, {@code legacy { session, password-file, proto, encrypt,
 * compress, keepalive }}, {@code culvert.listen.vtun-legacy}). Session keywords are mapped as the README's table
 * "Coming from VTUN" says; up/down lines become hooks ({@link HookTranslation}), except those that only set the
 * device's address, peer route, MTU or link state, which become {@code device.address}, {@code device.routes},
 * {@code device.mtu} (certain forms only: {@code ifconfig DEV A [netmask M] [pointopoint P] [mtu N] [up]},
 * {@code ip [-4|-6|-family F] addr add A[/L] [peer P[/L]] dev DEV}, {@code ip link set [dev] DEV [up] [mtu N]},
 * {@code ip route add P dev DEV}, {@code route add -net N netmask M dev DEV}; in down blocks
 * {@code ifconfig DEV down} and {@code ip link set DEV down}, which Culvert does itself).
 */
public final class VtundImport {
    /** Which end the file is. */
    public enum Role { SERVER, CLIENT }

    /**
     * What to import.
     *
     * @param conf      the parsed vtund.conf
     * @param sessions  the sessions to import (empty: every complete one)
     * @param legacy    write vtun-legacy tunnels
     * @param role      the end, or null to tell from the file
     * @param server    the server's host for a client (vtund's command-line HOST), or null
     * @param types     a client's tunnel type (tun or ether; the server decides in vtund) by session or tunnel
     *                  name; key {@link #ANY_TUNNEL}: for every session without its own. Overrides the file
     * @param protos    a client's transport (tcp or udp) by session or tunnel name; key {@link #ANY_TUNNEL}: for
     *                  every session without its own. Overrides the file
     * @param peerKeys  peer public keys by tunnel or session name (modern only); key {@link #ANY_TUNNEL}: for
     *                  every tunnel without its own (a client's: the server has one key)
     * @param siteName  the base name of the files written (NAME.conf, NAME.key)
     * @param siteNamed the site name was given ({@code --name}): every file written starts with it, the password
     *                  files too ({@code SITE-TUNNEL.vtun-password}), so two imports can share a folder
     */
    public record Request(VtundConf conf, List<String> sessions, boolean legacy, Role role, String server,
                          Map<String, String> types, Map<String, String> protos, Map<String, String> peerKeys,
                          String siteName, boolean siteNamed) {
        public Request {
            types = types == null ? Map.of() : Map.copyOf(types);
            protos = protos == null ? Map.of() : Map.copyOf(protos);
        }

        public Request(VtundConf conf, List<String> sessions, boolean legacy, Role role, String server,
                       Map<String, String> types, Map<String, String> protos, Map<String, String> peerKeys,
                       String siteName) {
            this(conf, sessions, legacy, role, server, types, protos, peerKeys, siteName, false);
        }

        /** The value given for a session (by its vtund name, then its tunnel name, then for all), or null. */
        static String forSession(Map<String, String> values, String session) {
            String v = values.get(session);
            if (v == null) {
                v = values.get(session.toLowerCase(Locale.ROOT));
            }
            return v != null ? v : values.get(ANY_TUNNEL);
        }

        /** How the value for a session was given, for the report: {@code --type} or {@code --type cobra=}. */
        static String given(String option, Map<String, String> values, String session) {
            return values.containsKey(session) ? option + " " + session + "=" : values.containsKey(
                    session.toLowerCase(Locale.ROOT)) ? option + " " + session.toLowerCase(Locale.ROOT) + "=" : option;
        }
    }

    /** The {@link Request#peerKeys()} key of a peer key for every tunnel. */
    public static final String ANY_TUNNEL = "*";
    /** Culvert's default metrics port (reference.conf, culvert.metrics.bind). */
    static final int METRICS_PORT = 9586;

    /** One line of the report: {@code file:line: [session: ]what — why}. */
    public record Item(String session, int line, String what, String why) {
        public String format(String file) {
            return (line > 0 ? file + ":" + line + ": " : file + ": ") + (session == null ? "" : session + ": ")
                    + what + (why == null ? "" : " — " + why);
        }
    }

    /** A usage problem: the file cannot say what the command line must. */
    public static final class UsageException extends Exception {
        public UsageException(String message) {
            super(message);
        }
    }

    /** Nothing in the file can be imported (named session missing, every session skipped). */
    public static final class NothingToImportException extends Exception {
        public NothingToImportException(String message) {
            super(message);
        }
    }

    /**
     * One tunnel to write. {@code password} is the session's vtund password (legacy only): written to its 0600
     * file by the command, never rendered.
     */
    public static final class Tunnel {
        String name;
        String session;
        int line;
        String transport;
        String mode;
        String device;
        Integer mtu;
        String address;
        final List<String> routes = new ArrayList<>();
        String endpoint;
        String peerKey;
        boolean allowAll;
        Integer keepalive;
        String compression;
        Boolean persist;
        final List<String> up = new ArrayList<>();
        final List<String> down = new ArrayList<>();
        /** Hook lines kept as comments (cannot run as written), with why. */
        final List<String> upComments = new ArrayList<>();
        final List<String> downComments = new ArrayList<>();
        String legacyProto;
        String legacyEncrypt;
        String legacyCompress;
        String legacyKeepalive;
        /** Why Culvert names the device (the file names none, or none it accepts); the name is chosen last. */
        String deviceWhy;
        String password;
        String passwordFile;
        /** Line of the config where the peer key goes (set by render), for the printed steps. */
        int peerKeyLine;
        /** The line written there when the key is not known (set by render): commented out, with a placeholder. */
        String peerKeyText;
        /** The placeholder in {@link #peerKeyText} that the key replaces. */
        String peerKeyPlaceholder;

        public String name() {
            return name;
        }

        public String session() {
            return session;
        }

        public String password() {
            return password;
        }

        public String passwordFile() {
            return passwordFile;
        }

        public Optional<String> peerKey() {
            return Optional.ofNullable(peerKey);
        }

        public int peerKeyLine() {
            return peerKeyLine;
        }

        /** The commented-out line at {@link #peerKeyLine()}, without indentation, or null when the key is set. */
        public String peerKeyText() {
            return peerKeyText;
        }

        public String peerKeyPlaceholder() {
            return peerKeyPlaceholder;
        }

        /** device.mode: tun (vtund's type tun) or tap (type ether). */
        public String mode() {
            return mode;
        }

        public String transport() {
            return transport;
        }
    }

    /** The outcome: the tunnels, the chosen role and why, and the report. */
    public static final class Plan {
        Role role;
        String roleReason;
        int port;
        String listen;
        final List<Tunnel> tunnels = new ArrayList<>();
        final List<Item> notCarried = new ArrayList<>();
        final List<Item> carried = new ArrayList<>();
        final List<Item> chosen = new ArrayList<>();
        String siteName;
        String keyFile;
        String source;
        boolean legacy;
        /** culvert.metrics.bind to write, or null for the default. */
        String metricsBind;
        /**
         * The file's sessions (complete ones, first of each name, in file order): a modern client's per-session
         * metrics port is {@link #METRICS_PORT} + the session's place here, whichever sessions one run imports.
         */
        final List<String> fileSessions = new ArrayList<>();

        public Role role() {
            return role;
        }

        public String roleReason() {
            return roleReason;
        }

        public List<Tunnel> tunnels() {
            return tunnels;
        }

        public List<Item> notCarried() {
            return notCarried;
        }

        public List<Item> carried() {
            return carried;
        }

        public List<Item> chosen() {
            return chosen;
        }

        public String keyFile() {
            return keyFile;
        }

        public String configFile() {
            return siteName + ".conf";
        }

        public int port() {
            return port;
        }

        public boolean legacy() {
            return legacy;
        }

        public String metricsBind() {
            return metricsBind;
        }
    }

    /**
     * The configs to write for a plan: the plan itself, or — for a modern client with several tunnels — one plan
     * per tunnel. In Culvert a peer's public key belongs to one tunnel and the private key is the daemon's, and a
     * vtund client's sessions all go to one server (one server key): so each session becomes its own daemon with
     * its own key ({@code TUNNEL.conf}, {@code TUNNEL.key}; {@code SITE-TUNNEL.*} after {@code --name}), its own
     * control socket (named by the config file) and its own metrics port (9586, 9587, …), and the server's tunnels
     * each expect a different client key. Each part keeps the items of its session and those of no imported
     * session; the split itself is added to the whole plan's {@link Plan#chosen()}.
     */
    public static List<Plan> outputs(Plan plan, boolean siteNamed) {
        if (plan.legacy || plan.role != Role.CLIENT || plan.tunnels.size() < 2) {
            if (!plan.legacy && plan.role == Role.CLIENT && plan.tunnels.size() == 1 && plan.fileSessions.size() > 1
                    && plan.metricsBind == null) {
                // one session of several (--session): the same port it gets when imported with the others
                Tunnel t = plan.tunnels.get(0);
                plan.metricsBind = metricsBind(plan, t);
                plan.chosen.add(new Item(t.session, 0, "metrics.bind = " + plan.metricsBind, metricsWhy(plan, t)
                        + "; so a config per session, imported in one run or one --session at a time, runs side by "
                        + "side with the others on this host"));
            }
            return List.of(plan);
        }
        java.util.Set<String> imported = new java.util.HashSet<>();
        plan.tunnels.forEach(t -> imported.add(t.session));
        List<Plan> parts = new ArrayList<>();
        List<String> files = new ArrayList<>();
        for (int i = 0; i < plan.tunnels.size(); i++) {
            Tunnel t = plan.tunnels.get(i);
            Plan p = new Plan();
            p.role = plan.role;
            p.roleReason = plan.roleReason;
            p.port = plan.port;
            p.listen = plan.listen;
            p.source = plan.source;
            p.legacy = false;
            p.siteName = siteNamed ? plan.siteName + "-" + t.name : t.name;
            p.keyFile = p.siteName + ".key";
            p.metricsBind = metricsBind(plan, t);
            p.fileSessions.addAll(plan.fileSessions);
            p.tunnels.add(t);
            java.util.function.Predicate<Item> mine = it -> it.session() == null || it.session().equals(t.session)
                    || !imported.contains(it.session());
            plan.notCarried.stream().filter(mine).forEach(p.notCarried::add);
            plan.carried.stream().filter(mine).forEach(p.carried::add);
            plan.chosen.stream().filter(mine).forEach(p.chosen::add);
            p.chosen.add(new Item(t.session, 0, "one daemon for this session: " + p.configFile() + " with its own "
                    + "key " + p.keyFile + " and metrics.bind = " + p.metricsBind, SPLIT_WHY + "; metrics port: "
                    + metricsWhy(plan, t)));
            parts.add(p);
            files.add(p.configFile() + " (" + p.keyFile + ", metrics " + p.metricsBind + ")");
        }
        plan.chosen.add(new Item(null, 0, "one config per session: " + String.join(", ", files), SPLIT_WHY
                + "; each runs as culvert@NAME with its own control socket (/run/culvert/NAME/)"));
        return parts;
    }

    /** A modern client's per-session metrics address: 127.0.0.1, {@link #METRICS_PORT} + the session's place. */
    private static String metricsBind(Plan plan, Tunnel t) {
        int place = Math.max(0, plan.fileSessions.indexOf(t.session));
        return "127.0.0.1:" + (METRICS_PORT + place);
    }

    private static String metricsWhy(Plan plan, Tunnel t) {
        int place = Math.max(0, plan.fileSessions.indexOf(t.session));
        return METRICS_PORT + " + the session's place among the file's " + plan.fileSessions.size() + " sessions ("
                + ordinal(place + 1) + ": " + String.join(", ", plan.fileSessions) + "), the same port whether "
                + "imported with the others or alone with --session";
    }

    private static String ordinal(int n) {
        String suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        };
        return n + suffix;
    }

    private static final String SPLIT_WHY = "the sessions share a server, and in Culvert a peer's key belongs to "
            + "one tunnel and the private key is the daemon's: the server's tunnels each expect their own client key";

    private static final List<String> LEGACY_CIPHERS = List.of("no", "blowfish128ecb", "oldblowfish128ecb",
            "aes128ecb", "aes128cbc", "aes128cfb", "aes128ofb", "aes256ecb", "aes256cbc", "aes256cfb", "aes256ofb");
    /** vtund's VTUN_PORT. */
    static final int VTUN_PORT = 5000;

    private final Request request;
    private final Plan plan = new Plan();
    private final String searchPath;

    private VtundImport(Request request, String searchPath) {
        this.request = request;
        this.searchPath = searchPath;
    }

    /**
     * Plans the import.
     *
     * @param searchPath where hook programs are looked for, as {@code check-config} looks ({@link HookPrograms})
     * @throws UsageException           the role or the server cannot be told from the file and were not given
     * @throws NothingToImportException a named session is not in the file, or no session can be carried over
     */
    public static Plan plan(Request request, String searchPath) throws UsageException, NothingToImportException {
        return new VtundImport(request, searchPath).run();
    }

    private Plan run() throws UsageException, NothingToImportException {
        VtundConf conf = request.conf();
        plan.siteName = request.siteName();
        plan.keyFile = request.siteName() + ".key";
        plan.source = conf.file().toString();
        plan.legacy = request.legacy();
        conf.sessions().stream().filter(x -> !x.incomplete).map(x -> x.name).distinct()
                .forEach(plan.fileSessions::add);
        List<Session> selected = select(conf);
        decideRole(conf, selected);
        VtundConf.Options o = conf.options();
        plan.port = o.port().map(VtundConf.Setting::value).orElse(VTUN_PORT);
        if (plan.role == Role.CLIENT && request.server() == null) {
            throw new UsageException("a client's tunnel needs the server to dial, which vtund takes from its command "
                    + "line (vtund SESSION HOST): give --server HOST");
        }
        optionsNotes(o);
        Map<String, Tunnel> byName = new LinkedHashMap<>();
        for (Session s : selected) {
            Tunnel t = tunnel(s);
            if (t == null) {
                continue;
            }
            if (byName.containsKey(t.name)) {
                notCarried(s, s.line, "session " + s.name, "its tunnel name " + t.name + " is taken by session "
                        + byName.get(t.name).session + " (Culvert's names are lower case)");
                continue;
            }
            byName.put(t.name, t);
        }
        plan.tunnels.addAll(byName.values());
        uniqueDeviceNames();
        java.util.Comparator<Item> byLine = java.util.Comparator.comparingInt(Item::line);
        plan.notCarried.sort(byLine);
        plan.carried.sort(byLine);
        plan.chosen.sort(byLine);
        if (plan.tunnels.isEmpty()) {
            throw new NothingToImportException(conf.file() + ": no session can be carried over:\n  "
                    + String.join("\n  ", plan.notCarried.stream().map(i -> i.format(conf.file().toString())).toList()));
        }
        return plan;
    }

    /**
     * Culvert's default device name, "cv-" + the tunnel name cut to 15 bytes, may be the same for two long names
     * (check-config refuses that): such a tunnel gets a numbered name, written out and said.
     */
    private void uniqueDeviceNames() {
        java.util.Set<String> taken = new java.util.HashSet<>();
        plan.tunnels.stream().filter(t -> t.device != null).forEach(t -> taken.add(t.device));
        for (Tunnel t : plan.tunnels) {
            if (t.device != null) {
                continue;
            }
            String name = cut("cv-" + t.name, 15);
            for (int i = 2; taken.contains(name); i++) {
                String suffix = "-" + i;
                name = cut("cv-" + t.name, 15 - suffix.length()) + suffix;
            }
            if (!name.equals(cut("cv-" + t.name, 15))) {
                t.device = name;
                plan.chosen.add(new Item(t.session, t.line, "device.name = " + name, (t.deviceWhy == null ? ""
                        : t.deviceWhy + "; ") + "Culvert's default name for it, " + cut("cv-" + t.name, 15)
                        + ", is another tunnel's"));
            } else if (t.deviceWhy != null) {
                plan.chosen.add(new Item(t.session, t.line, "device " + name, t.deviceWhy + "; Culvert's default "
                        + "name (cv- and the tunnel's name, cut to 15 bytes)"));
            }
            taken.add(name);
        }
    }

    private static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    private List<Session> select(VtundConf conf) throws NothingToImportException {
        List<Session> selected = new ArrayList<>();
        if (request.sessions().isEmpty()) {
            java.util.Set<String> seen = new LinkedHashSet<>();
            for (Session s : conf.sessions()) {
                if (s.incomplete) {
                    notCarried(s, s.line, "session " + s.name, "it has no passwd: vtund ignores it too");
                } else if (!seen.add(s.name)) {
                    Session first = conf.session(s.name).orElseThrow();
                    notCarried(s, s.line, "session " + s.name + " (again)", "vtund uses the first one, line "
                            + first.line);
                } else {
                    selected.add(s);
                }
            }
        } else {
            for (String name : request.sessions()) {
                Session s = conf.session(name).orElseThrow(() -> new NothingToImportException(conf.file()
                        + ": no session " + name + " (sessions: " + String.join(", ", conf.sessions().stream()
                                .filter(x -> !x.incomplete).map(x -> x.name).distinct().toList()) + ")"));
                if (selected.contains(s)) {
                    continue;
                }
                selected.add(s);
                conf.sessions().stream().filter(x -> x.name.equals(name) && x != s).forEach(x -> notCarried(x,
                        x.line, "session " + x.name + " (again)", x.incomplete ? "it has no passwd: vtund ignores it"
                                : "vtund uses the first one, line " + s.line));
            }
        }
        if (selected.isEmpty()) {
            throw new NothingToImportException(conf.file() + ": no complete session (a session needs passwd)");
        }
        return selected;
    }

    private void decideRole(VtundConf conf, List<Session> selected) throws UsageException {
        if (request.role() != null) {
            plan.role = request.role();
            plan.roleReason = "--role " + request.role().name().toLowerCase(Locale.ROOT);
            return;
        }
        if (request.server() != null) {
            plan.role = Role.CLIENT;
            plan.roleReason = "--server was given";
            return;
        }
        List<String> server = new ArrayList<>();
        List<String> client = new ArrayList<>();
        VtundConf.Options o = conf.options();
        o.bindAddr().ifPresent(b -> server.add("options has bindaddr (line " + b.line() + ")"));
        o.bindIface().ifPresent(b -> server.add("options has bindaddr (line " + b.line() + ")"));
        o.type().ifPresent(b -> server.add("options has type " + b.value() + " (line " + b.line() + ")"));
        for (Session s : selected) {
            if (s.multi.inFile()) {
                server.add("session " + s.name + " has multi (line " + s.multi.line() + ")");
            }
            if (s.persist.inFile()) {
                client.add("session " + s.name + " has persist (line " + s.persist.line() + ")");
            }
            s.srcAddr().or(s::srcIface).ifPresent(x -> client.add("session " + s.name + " has srcaddr (line "
                    + x.line() + ")"));
        }
        if (!server.isEmpty() && client.isEmpty()) {
            plan.role = Role.SERVER;
            plan.roleReason = server.get(0) + ", which only vtund -s reads";
        } else if (!client.isEmpty() && server.isEmpty()) {
            plan.role = Role.CLIENT;
            plan.roleReason = client.get(0) + ", which only a vtund client reads";
        } else {
            throw new UsageException(conf.file() + " does not say whether it is a server's (vtund -s) or a client's "
                    + "(vtund SESSION HOST)" + (server.isEmpty() ? "" : ": " + String.join(", ", server) + " but "
                    + String.join(", ", client)) + ": give --role server, or --role client with --server HOST");
        }
    }

    private void optionsNotes(VtundConf.Options o) {
        boolean v6 = o.family().map(f -> f.value().equals("ipv6")).orElse(false);
        String loopback = o.bindIface().filter(b -> b.value().equals("lo")).map(b -> v6 ? "::1" : "127.0.0.1")
                .orElse(null);
        o.bindIface().ifPresent(b -> {
            if (loopback != null) {
                carried(null, b.line(), "bindaddr { iface lo; }", "listens on " + loopback + " (lo's address), "
                        + "loopback only, as vtund did");
            } else {
                notCarried(null, b.line(), "bindaddr { iface " + b.value() + "; }", "Culvert listens on an address, "
                        + "not an interface: it listens on every address; set the listen address to that "
                        + "interface's address to narrow it");
            }
        });
        o.bindAddr().ifPresent(b -> {
            if (!isIpLiteral(b.value())) {
                notCarried(null, b.line(), "bindaddr { addr " + b.value() + "; }", "Culvert listens on an IP "
                        + "address, not a name: it listens on every address; set the listen address by hand");
            }
        });
        o.iface().ifPresent(b -> notCarried(null, b.line(), "iface \"" + b.value() + "\"", "vtund stores it (as -L) "
                + "and never uses it"));
        o.type().ifPresent(b -> {
            if (b.value().equals("inetd")) {
                notCarried(null, b.line(), "type inetd", "Culvert runs as its own daemon (systemd unit "
                        + "culvert@NAME), never from inetd");
            }
        });
        o.timeout().ifPresent(b -> notCarried(null, b.line(), "timeout " + b.value(), timeoutWhy()));
        o.syslog().ifPresent(b -> notCarried(null, b.line(), "syslog " + b.value(), "Culvert logs to stderr (the "
                + "journal under systemd)"));
        o.family().ifPresent(b -> notCarried(null, b.line(), b.value(), "Culvert takes the address family from "
                + "the listen address and the endpoint"));
        if (plan.role == Role.SERVER) {
            String host = o.bindAddr().map(VtundConf.Setting::value).filter(VtundImport::isIpLiteral)
                    .orElse(loopback);
            if (plan.legacy) {
                plan.listen = hostPort(host != null ? host : v6 ? "::" : "0.0.0.0", plan.port);
            } else {
                plan.listen = host != null ? hostPort(host, plan.port) : ":" + plan.port;
            }
            String where = host != null ? (loopback != null ? "bindaddr { iface lo; }" : "bindaddr")
                    : o.bindIface().isPresent() || o.bindAddr().isPresent()
                    ? "every address (vtund's bindaddr is not an IP address: see above)" : "every address, as vtund";
            chosen(null, o.port().map(VtundConf.Setting::line).orElse(0), "listen on " + plan.listen,
                    (o.port().isPresent() ? "options port" : "vtund's default port " + VTUN_PORT) + "; " + where);
        }
    }

    /** The tunnel for a session, or null (with the reasons) when it cannot be one. */
    private Tunnel tunnel(Session s) {
        Tunnel t = new Tunnel();
        t.session = s.name;
        t.line = s.line;
        t.name = s.name.toLowerCase(Locale.ROOT);
        if (!t.name.equals(s.name)) {
            chosen(s, s.line, "tunnel name " + t.name, "Culvert's names are lower case"
                    + (plan.legacy ? "; legacy.session keeps " + s.name : ""));
        }
        // type: server decides; a client's file may not say
        String type = s.type.value();
        String givenType = Request.forSession(request.types(), s.name);
        if (plan.role == Role.CLIENT && givenType != null) {
            type = givenType;
            chosen(s, s.type.line(), "type " + type, Request.given("--type", request.types(), s.name));
        } else if (plan.role == Role.CLIENT && !s.type.inFile()) {
            String dev = s.device().map(VtundConf.Setting::value).orElse("");
            boolean ppp = s.up.stream().anyMatch(c -> c.kind() == CommandKind.PPP);
            boolean net = java.util.stream.Stream.concat(s.up.stream(), s.down.stream()).anyMatch(c ->
                    c.kind() == CommandKind.IFCONFIG || c.kind() == CommandKind.IP || c.kind() == CommandKind.ROUTE);
            String unsaid = "the file does not say (vtund's server decides)";
            if (dev.startsWith("tap")) {
                type = "ether";
                chosen(s, s.device.line(), "type ether", unsaid + "; device " + dev + " is a tap: give --type "
                        + s.name + "=tun if the server says tun");
            } else if (dev.startsWith("tun")) {
                type = "tun";
                chosen(s, s.device.line(), "type tun", unsaid + "; device " + dev + " is a tun: give --type "
                        + s.name + "=ether if the server says ether");
            } else if (ppp) {
                type = "tty";
            } else if (net) {
                type = "tun";
                chosen(s, s.line, "type tun", unsaid + "; its up/down lines configure a network device: give --type "
                        + s.name + "=ether if the server says ether");
            } else {
                notCarried(s, s.line, "session " + s.name + " (type not given)", unsaid + ", and nothing in it names "
                        + "a tun or tap device (a pipe or tty session?): give --type " + s.name + "=tun|ether to "
                        + "import it: not imported");
                return null;
            }
        }
        if (type.equals("tty") || type.equals("pipe")) {
            notCarried(s, s.type.line() > 0 ? s.type.line() : s.line, "session " + s.name + " (type " + type
                    + (s.type.inFile() ? "" : plan.role == Role.CLIENT ? ", for its ppp line" : ", vtund's default") + ")", "a " + type + " tunnel carries a "
                    + (type.equals("tty") ? "pty (PPP, a serial protocol)" : "program's stdin/stdout")
                    + "; Culvert's tunnels are tun or tap devices: not imported");
            return null;
        }
        t.mode = type.equals("ether") ? "tap" : "tun";
        String proto = s.proto.value();
        String givenProto = Request.forSession(request.protos(), s.name);
        if (plan.role == Role.CLIENT && givenProto != null) {
            proto = givenProto;
            chosen(s, s.proto.line(), "proto " + proto, Request.given("--proto", request.protos(), s.name));
        } else if (plan.role == Role.CLIENT && !s.proto.inFile() && plan.legacy) {
            carried(s, s.line, "proto (not in the file)", "legacy.proto left out: the server decides it in its "
                    + "FLAGS, as vtund's, and the vtun-legacy client follows");
        } else if (plan.role == Role.CLIENT && !s.proto.inFile()) {
            chosen(s, s.line, "proto tcp", "the file does not say (vtund's server decides, tcp by default): give "
                    + "--proto " + s.name + "=udp if the server says udp");
        }
        s.device().ifPresent(d -> {
            if (d.value().length() > 15 || d.value().contains("%")) {
                notCarried(s, d.line(), "device " + d.value(), "not a Linux interface name Culvert accepts "
                        + "(1..15 bytes, no '%'): the name under Chosen is used");
            } else {
                t.device = d.value();
            }
        });
        if (s.device().isEmpty()) {
            t.deviceWhy = "the file names none (vtund picks the first free " + (t.mode.equals("tap") ? "tapN" : "tunN")
                    + ")";
        } else if (t.device == null) {
            t.deviceWhy = "the file's device " + s.device().get().value() + " is not a name Culvert accepts";
        }
        if (plan.legacy) {
            if (!legacy(s, t, proto)) {
                return null;
            }
        } else {
            modern(s, t, proto);
        }
        common(s, t);
        commands(s, t, s.up, true);
        commands(s, t, s.down, false);
        return t;
    }

    private void modern(Session s, Tunnel t, String proto) {
        t.transport = proto;
        t.allowAll = t.mode.equals("tun");
        if (plan.role == Role.CLIENT) {
            t.endpoint = hostPort(request.server(), plan.port);
        }
        t.peerKey = Optional.ofNullable(request.peerKeys().get(t.name))
                .or(() -> Optional.ofNullable(request.peerKeys().get(s.name)))
                .or(() -> Optional.ofNullable(request.peerKeys().get(ANY_TUNNEL))).orElse(null);
        if (!s.passwd.fromDefaultSection() || s.passwd.inFile()) {
            carried(s, s.passwd.line(), "passwd", "replaced by key pairs: this site's new key and the peer's "
                    + "public key (peer.public-key)");
        }
        String c = s.compress.value();
        if (c.startsWith("zlib:")) {
            int level = Integer.parseInt(c.substring(5));
            if (level == 0) {
                notCarried(s, s.compress.line(), "compress " + c, "zlib level 0 frames without compressing: "
                        + "compression off");
            } else if (level > 9) {
                notCarried(s, s.compress.line(), "compress " + c, "zlib levels are 1..9: zlib:9 written");
                level = 9;
            }
            if (level > 0) {
                t.compression = "zlib:" + level;
                carried(s, s.compress.line(), "compress " + c, "compression = \"zlib:" + level + "\" (per packet)");
            }
        } else if (c.startsWith("lzo:")) {
            t.compression = "lz4";
            notCarried(s, s.compress.line(), "compress " + c, "Culvert has no LZO: lz4 (as fast, per packet) "
                    + "written instead");
        }
        if (!s.encrypt.value().equals("no")) {
            carried(s, s.encrypt.line(), "encrypt " + s.encrypt.value(), "always on: ChaCha20-Poly1305, "
                    + "authenticated, replay-protected, a fresh key every 2 minutes");
        }
        String ka = s.keepalive.value();
        if (!ka.equals("no")) {
            String[] ic = ka.split(":");
            int interval = Integer.parseInt(ic[0]);
            if (interval >= 1 && interval <= 65535) {
                t.keepalive = interval;
            }
            notCarried(s, s.keepalive.line(), "keepalive " + ka + " (count " + ic[1] + ")", "keepalive.persistent = "
                    + interval + "s carries the interval; a silent peer is found by WireGuard's timers, not a count");
        }
        s.natHack().filter(n -> !n.value().equals("no")).ifPresent(n -> carried(s, n.line(), "nat_hack " + n.value(),
                "not needed: the server learns the client's address from each authenticated packet (roaming)"));
        s.sslauth().ifPresent(n -> carried(s, n.line(), "sslauth", "not needed: keys replace the password "
                + "challenge"));
        if (plan.role == Role.SERVER && s.multi.inFile()) {
            if (s.multi.value().equals("killold")) {
                carried(s, s.multi.line(), "multi killold", "always: a peer that connects again replaces its old "
                        + "connection");
            } else {
                notCarried(s, s.multi.line(), "multi " + s.multi.value(), "one peer per tunnel, and a peer that "
                        + "connects again replaces its old connection (as killold): give each client its own tunnel");
            }
        }
    }

    private boolean legacy(Session s, Tunnel t, String proto) {
        t.transport = "vtun-legacy";
        t.password = s.passwd.value();
        t.passwordFile = (request.siteNamed() && !request.siteName().equals(t.name) ? request.siteName() + "-" : "")
                + t.name + ".vtun-password";
        if (plan.role == Role.CLIENT) {
            t.endpoint = hostPort(request.server(), plan.port);
        }
        String cipher = s.encrypt.value();
        if (!LEGACY_CIPHERS.contains(cipher)) {
            notCarried(s, s.encrypt.line(), "session " + s.name + " (encrypt " + cipher + ")", (cipher.startsWith(
                    "blowfish128") ? "vtund's Blowfish CBC/CFB/OFB corrupt bytes 0-3 of every frame on 64-bit builds "
                    + "(README, Legacy VTUN tunnels)" : "blowfish256 modes are not in the legacy transport")
                    + ": switch the vtund end to aes128cbc (or aes256cbc) first, then import again: not imported");
            return false;
        }
        boolean client = plan.role == Role.CLIENT;
        // a client writes the server-decided values its file states; the server's FLAGS decide in vtund
        carried(s, s.passwd.line(), "passwd", "legacy.password-file = " + t.passwordFile + " (mode 0600; never in "
                + "the config or the output)");
        if (!client || s.proto.inFile() || Request.forSession(request.protos(), s.name) != null) {
            t.legacyProto = proto;
            carried(s, s.proto.line(), "proto " + proto + (s.proto.inFile() ? "" : " (vtund's default)"),
                    "legacy.proto = " + proto);
        }
        if (!client || s.encrypt.inFile()) {
            t.legacyEncrypt = cipher;
            carried(s, s.encrypt.line(), "encrypt " + cipher + (s.encrypt.inFile() ? "" : " (vtund's default)"),
                    "legacy.encrypt = " + cipher);
            if (cipher.equals("blowfish128ecb")) {
                chosen(s, s.encrypt.line(), "legacy.encrypt = blowfish128ecb",
                        "vtund's \"encrypt yes\"; Debian 12's vtund crashes with any Blowfish cipher unless "
                                + "OpenSSL's legacy provider is on (README, Legacy VTUN tunnels): an AES mode needs "
                                + "nothing — " + (proto.equals("udp") ? "aes128ecb over udp (a chained mode loses "
                                + "every frame after a lost datagram until it resynchronises)" : "aes128cbc over tcp"));
            } else if (proto.equals("udp") && !client
                    && (cipher.endsWith("cbc") || cipher.endsWith("cfb") || cipher.endsWith("ofb"))) {
                chosen(s, s.encrypt.line(), "legacy.encrypt = " + cipher + " over udp",
                        "as in vtund: one lost datagram makes the frames after it undecryptable until a resync, so "
                                + "a loaded link collapses; an ECB mode or proto tcp does not (change both ends)");
            }
        }
        if (!client || s.compress.inFile()) {
            String c = s.compress.value();
            if (c.startsWith("zlib:") && proto.equals("udp")) {
                notCarried(s, s.compress.line(), "compress " + c + " over udp", "vtund's zlib stream breaks on the "
                        + "first lost datagram; the legacy transport takes zlib over tcp only: compress = no written");
                c = "no";
            }
            t.legacyCompress = c;
            if (c.equals(s.compress.value())) {
                carried(s, s.compress.line(), "compress " + c + (s.compress.inFile() ? "" : " (vtund's default)"),
                        "legacy.compress = \"" + c + "\"");
            }
        }
        if (!client || s.keepalive.inFile()) {
            t.legacyKeepalive = s.keepalive.value();
            carried(s, s.keepalive.line(), "keepalive " + s.keepalive.value() + (s.keepalive.inFile() ? ""
                    : " (vtund's default)"), "legacy.keepalive = \"" + s.keepalive.value() + "\""
                    + (s.keepalive.value().equals("30:4") ? " (vtund's yes: every 30 s, 4 missed end the session)"
                    : ""));
        }
        if (client && !s.encrypt.inFile()) {
            carried(s, s.line, "encrypt, compress, keepalive (not in the file)", "left out: the server decides them "
                    + "in its FLAGS, as vtund's, and the vtun-legacy client follows");
        }
        if (plan.role == Role.SERVER && s.multi.inFile() && s.multi.value().equals("killold")) {
            carried(s, s.multi.line(), "multi killold", "always: a new session for the tunnel replaces the old one");
        }
        s.natHack().filter(n -> !n.value().equals("no")).ifPresent(n -> notCarried(s, n.line(), "nat_hack "
                + n.value(), "not in the legacy transport (the first UDP sender could take the session over)"));
        s.sslauth().filter(n -> !n.value()).ifPresent(n -> notCarried(s, n.line(), "sslauth no", "the legacy "
                + "transport answers the Blowfish challenge (sslauth yes) only"));
        if (plan.role == Role.SERVER && s.multi.inFile() && !s.multi.value().equals("killold")) {
            notCarried(s, s.multi.line(), "multi " + s.multi.value(), "one vtund client per tunnel; one that "
                    + "connects again replaces the old connection (as killold)");
        }
        return true;
    }

    private String timeoutWhy() {
        return plan.legacy ? "a vtun-legacy client redials 5 s after a failed or ended session (vtund's persist), "
                + "with its own connect and authentication bounds" : "handshakes retry on WireGuard's timers (5 s), "
                + "then back off to 30 s";
    }

    private void common(Session s, Tunnel t) {
        if (plan.role == Role.CLIENT && plan.legacy) {
            if (s.persist.value().equals("no")) {
                t.persist = false;
                carried(s, s.persist.line(), s.persist.inFile() ? "persist no" : "vtund's default persist no",
                        "persist = false: as a vtund client, it dials once and, when the session ends, stops (state "
                                + "failed in culvert show) until a reload or restart; write persist = true to redial "
                                + "every 5 s");
            } else {
                carried(s, s.persist.line(), "persist " + s.persist.value(), "a vtun-legacy client redials 5 s after "
                        + "a session ends, keeping its device, addresses and routes");
            }
        } else if (plan.role == Role.CLIENT) {
            switch (s.persist.value()) {
                case "no" -> {
                    t.persist = false;
                    chosen(s, s.persist.line(), "persist = false", (s.persist.inFile() ? "persist no"
                            : "vtund's default persist no") + ": a vtund client exits when the link drops; Culvert's "
                            + "gives up after 90 s of unanswered handshakes and keeps the device (the next packet "
                            + "tries again)");
                }
                case "keep" -> carried(s, s.persist.line(), "persist keep", "persist = true (the default) keeps the "
                        + "device, its addresses and routes");
                default -> carried(s, s.persist.line(), "persist yes", "persist = true (the default)");
            }
        } else if (s.persist.inFile()) {
            carried(s, s.persist.line(), "persist " + s.persist.value(), "a vtund server ignores it; Culvert's server "
                    + "keeps the device while the client is away (persist = true, the default)");
        }
        s.timeout().ifPresent(x -> notCarried(s, x.line(), "timeout " + x.value(), timeoutWhy()));
        s.speed().filter(x -> x.value()[0] == 0 && x.value()[1] == 0).ifPresent(x -> carried(s, x.line(),
                "speed 0" + (x.fromDefaultSection() ? " (default section)" : ""), "no shaping, as Culvert: nothing "
                        + "to write"));
        s.speed().filter(x -> x.value()[0] != 0 || x.value()[1] != 0).ifPresent(x -> notCarried(s, x.line(),
                "speed " + x.value()[0] + (x.value()[0] == x.value()[1] ? "" : ":" + x.value()[1]),
                "Culvert does not shape: add a tc qdisc in an up hook"));
        if (s.stat.value()) {
            notCarried(s, s.stat.line(), "stat yes", "no counter files in /var/log/vtund: the counters are live in "
                    + "culvert show and the metrics endpoint");
        }
        s.srcAddr().or(s::srcIface).ifPresent(x -> notCarried(s, x.line(), "srcaddr", "Culvert sends from the "
                + "listen address (culvert.listen.udp/tcp) or an ephemeral port: set it by hand if the peer needs it"));
        if (s.srcAddr().isEmpty() && s.srcIface().isEmpty()) {
            s.srcPort().ifPresent(x -> notCarried(s, x.line(), "srcaddr { port " + x.value() + "; }", "Culvert "
                    + "sends from the listen port or an ephemeral port"));
        }
    }

    // ---- up and down

    private void commands(Session s, Tunnel t, List<Command> commands, boolean up) {
        for (Command c : commands) {
            command(s, t, c, up);
        }
    }

    private void command(Session s, Tunnel t, Command c, boolean up) {
        String phase = up ? "up" : "down";
        String shown = phase + " " + describe(c);
        List<String> hookComments = up ? t.upComments : t.downComments;
        if (c.kind() == CommandKind.PPP) {
            notCarried(s, c.line(), shown, "Culvert runs no pppd: a tun or tap device needs no PPP");
            return;
        }
        if (c.program() == null && c.args() == null) {
            notCarried(s, c.line(), shown, "nothing to run");
            return;
        }
        List<String> argv = new ArrayList<>();
        List<String> unsupported = new ArrayList<>();
        java.util.function.Function<Placeholder, String> names = p -> placeholder(s, t, p, unsupported);
        if (c.program() == null) {
            argv.add("/bin/sh");
            argv.add("-c");
            argv.add(HookTranslation.join(HookTranslation.substitute(c.args()), names));
        } else {
            argv.add(c.program());
            if (c.args() != null) {
                for (List<Piece> word : HookTranslation.split(HookTranslation.substitute(c.args()))) {
                    argv.add(HookTranslation.join(word, names));
                }
            }
        }
        String line = String.join(" ", argv.stream().map(HookTranslation::quote).toList());
        if (!unsupported.isEmpty()) {
            notCarried(s, c.line(), shown, String.join("; ", new LinkedHashSet<>(unsupported))
                    + ": written as a comment");
            hookComments.add(line + "   # " + plan.source + " line " + c.line());
            return;
        }
        if (c.program() != null && deviceSettings(s, t, c, argv, up, shown)) {
            return;
        }
        try {
            HookPrograms.find(line, searchPath);
        } catch (IllegalArgumentException e) {
            notCarried(s, c.line(), shown, e.getMessage() + ": written as a comment");
            hookComments.add(line + "   # " + plan.source + " line " + c.line());
            return;
        }
        (up ? t.up : t.down).add(line);
        carried(s, c.line(), shown, phase + " hook `" + line + "`");
        if (c.kind() == CommandKind.PROGRAM && !c.waits()) {
            chosen(s, c.line(), shown, "vtund does not wait for a program without wait; Culvert waits for every "
                    + "hook (hook-timeout, 30 s): start a long-running program in the background (sh -c '… &')");
        }
    }

    private String placeholder(Session s, Tunnel t, Placeholder p, List<String> unsupported) {
        boolean server = plan.role == Role.SERVER;
        switch (p) {
            case DEV:
                return "%dev%";
            case HOST:
                return t.name.equals(s.name) ? "%name%" : s.name;
            case REMOTE_ADDR:
                if (!server) {
                    return "%peer%";
                }
                unsupported.add("%a (the client's address): a Culvert server runs up hooks before any client "
                        + "connects, so it has no such value");
                return "%a";
            case REMOTE_PORT:
                if (!server) {
                    return String.valueOf(plan.port);
                }
                unsupported.add("%p (the client's port): no Culvert hook value");
                return "%p";
            case LOCAL_PORT:
                if (server) {
                    return String.valueOf(plan.port);
                }
                if (s.srcPort().isPresent()) {
                    return String.valueOf(s.srcPort().get().value());
                }
                unsupported.add("%P (the client's local port): Culvert dials from an ephemeral port");
                return "%P";
            case LOCAL_ADDR:
            default:
                Optional<String> a = server ? request.conf().options().bindAddr().map(VtundConf.Setting::value)
                        : s.srcAddr().map(VtundConf.Setting::value);
                if (a.isPresent() && isIpLiteral(a.get())) {
                    return a.get();
                }
                unsupported.add("%A (the local underlay address): no Culvert hook value (%local% is the device's "
                        + "address) and the file names no local address");
                return "%A";
        }
    }

    /**
     * True when the command only sets what device settings say (and they are set), so it is not a hook.
     * Recognised: see the class comment. Anything else (gateways, broadcast, a second address) stays a hook.
     */
    private boolean deviceSettings(Session s, Tunnel t, Command c, List<String> argv, boolean up, String shown) {
        String program = argv.get(0).substring(argv.get(0).lastIndexOf('/') + 1);
        List<String> a = argv.subList(1, argv.size());
        if (program.equals("ifconfig")) {
            return ifconfig(s, t, c, a, up, shown);
        }
        if (program.equals("ip")) {
            return ip(s, t, c, a, up, shown);
        }
        if (program.equals("route") && up && a.size() == 7 && a.get(0).equals("add") && a.get(1).equals("-net")
                && a.get(3).equals("netmask") && a.get(5).equals("dev") && isDevice(t, a.get(6))) {
            Integer len = prefixLength(a.get(4));
            if (len != null && isIpLiteral(a.get(2)) && !isV6(a.get(2))) {
                return route(s, t, c, a.get(2) + "/" + len, shown);
            }
        }
        return false;
    }

    private boolean ifconfig(Session s, Tunnel t, Command c, List<String> a, boolean up, String shown) {
        if (a.size() < 2 || !isDevice(t, a.get(0))) { // "ifconfig DEV" alone prints the device: a hook
            return false;
        }
        if (!up) {
            if (a.size() == 2 && a.get(1).equals("down")) {
                carried(s, c.line(), shown, "not needed: Culvert removes the device");
                return true;
            }
            return false;
        }
        String address = null;
        Integer len = null;
        String peer = null;
        Integer mtu = null;
        for (int i = 1; i < a.size(); i++) {
            String w = a.get(i);
            String next = i + 1 < a.size() ? a.get(i + 1) : null;
            if (w.equals("up")) {
                continue;
            } else if (w.equals("netmask") && next != null && prefixLength(next) != null) {
                len = prefixLength(next);
                i++;
            } else if ((w.equals("pointopoint") || w.equals("dstaddr")) && next != null && isIpLiteral(next)) {
                peer = next;
                i++;
            } else if (w.equals("mtu") && next != null && isMtu(next)) {
                mtu = Integer.parseInt(next);
                i++;
            } else if (i == 1 && isIpLiteral(w.split("/")[0]) && !isV6(w.split("/")[0])) {
                address = w;
            } else {
                return false;
            }
        }
        if (address != null && address.contains("/")) {
            if (len != null) {
                return false;
            }
            try {
                len = Cidr.parse(address).prefixLength();
            } catch (IllegalArgumentException e) {
                return false;
            }
            address = address.substring(0, address.indexOf('/'));
        }
        if (address != null && len == null) {
            if (peer == null) {
                return false; // ifconfig takes the class's mask (10.x: /8): not certain enough
            }
            len = 32;
        }
        if (peer != null && (address == null || len != 32)) {
            return false;
        }
        return apply(s, t, c, address == null ? null : address + "/" + len, peer == null ? null : peer + "/32", mtu,
                shown);
    }

    private boolean ip(Session s, Tunnel t, Command c, List<String> argv, boolean up, String shown) {
        List<String> a = new ArrayList<>(argv);
        String family = null;
        while (!a.isEmpty() && a.get(0).startsWith("-")) {
            String o = a.remove(0);
            if ((o.equals("-family") || o.equals("-f")) && !a.isEmpty()) {
                family = a.remove(0);
            } else if (o.equals("-4")) {
                family = "inet";
            } else if (o.equals("-6")) {
                family = "inet6";
            } else {
                return false;
            }
        }
        if (a.size() >= 3 && a.get(0).equals("link") && a.get(1).equals("set")) {
            List<String> rest = new ArrayList<>(a.subList(2, a.size()));
            if (!rest.isEmpty() && rest.get(0).equals("dev")) {
                rest.remove(0);
            }
            if (rest.isEmpty() || !isDevice(t, rest.get(0))) {
                return false;
            }
            rest.remove(0);
            if (!up) {
                if (rest.equals(List.of("down"))) {
                    carried(s, c.line(), shown, "not needed: Culvert removes the device");
                    return true;
                }
                return false;
            }
            Integer mtu = null;
            boolean other = false;
            for (int i = 0; i < rest.size(); i++) {
                if (rest.get(i).equals("up")) {
                    continue;
                }
                if (rest.get(i).equals("mtu") && i + 1 < rest.size() && isMtu(rest.get(i + 1))) {
                    mtu = Integer.parseInt(rest.get(++i));
                    continue;
                }
                other = true;
            }
            if (other) {
                if (mtu != null && t.mtu == null) {
                    t.mtu = mtu; // the hook sets it as well: Culvert's notion of the MTU agrees
                    carried(s, c.line(), "mtu " + mtu, "device.mtu = " + mtu + " (the rest of the line stays a hook)");
                }
                return false;
            }
            return apply(s, t, c, null, null, mtu, shown);
        }
        if (!up) {
            return false;
        }
        if (a.size() >= 4 && (a.get(0).equals("addr") || a.get(0).equals("address") || a.get(0).equals("a"))
                && a.get(1).equals("add")) {
            String local = a.get(2);
            String peer = null;
            boolean dev = false;
            for (int i = 3; i < a.size(); i += 2) {
                if (i + 1 >= a.size()) {
                    return false;
                }
                String w = a.get(i);
                if ((w.equals("peer") || w.equals("remote")) && peer == null) {
                    peer = a.get(i + 1);
                } else if (w.equals("dev") && isDevice(t, a.get(i + 1))) {
                    dev = true;
                } else {
                    return false;
                }
            }
            Cidr l;
            Cidr p;
            try {
                l = Cidr.parse(local);
                p = peer == null ? null : Cidr.parse(peer);
            } catch (IllegalArgumentException e) {
                return false;
            }
            boolean v6 = l.address() instanceof Inet6Address;
            if (!dev || (p != null && v6 != p.address() instanceof Inet6Address)
                    || !familyAgrees(family, l.address().getHostAddress())) {
                return false;
            }
            if (p != null && local.contains("/")) {
                return false; // "A/L peer P": the prefix belongs to the peer route; not worth guessing
            }
            String address = l.toString(); // RFC 5952 form
            return apply(s, t, c, address, p == null ? null : network(p), null, shown);
        }
        if (a.size() == 5 && a.get(0).equals("route") && a.get(1).equals("add") && a.get(3).equals("dev")
                && isDevice(t, a.get(4)) && familyAgrees(family, a.get(2).split("/")[0])) {
            try {
                Cidr r = Cidr.parse(a.get(2));
                return route(s, t, c, network(r), shown);
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        return false;
    }

    private boolean route(Session s, Tunnel t, Command c, String prefix, String shown) {
        Cidr r;
        try {
            r = Cidr.parse(prefix);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (!network(r).equals(r.toString())) {
            return false; // host bits set: Culvert refuses such a route
        }
        t.routes.add(network(r));
        carried(s, c.line(), shown, "device.routes += " + network(r));
        return true;
    }

    private boolean apply(Session s, Tunnel t, Command c, String address, String peerRoute, Integer mtu,
                          String shown) {
        if (address != null && t.address != null) {
            return false; // one address per device in Culvert: a second stays a hook
        }
        if (mtu != null && t.mtu != null && !t.mtu.equals(mtu)) {
            return false;
        }
        List<String> what = new ArrayList<>();
        if (address != null) {
            t.address = address;
            what.add("device.address = " + address);
        }
        if (peerRoute != null) {
            t.routes.add(peerRoute);
            what.add("device.routes += " + peerRoute + " (the peer address)");
        }
        if (mtu != null) {
            t.mtu = mtu;
            what.add("device.mtu = " + mtu);
            if (!plan.legacy && "udp".equals(t.transport) && mtu > 1420) {
                chosen(s, c.line(), "device.mtu = " + mtu, "as vtund had it; over UDP Culvert adds 60 (IPv4) to 80 "
                        + "(IPv6) bytes: 1420 avoids fragmentation on a 1500-byte path");
            }
        }
        what.add("link up (Culvert brings the device up)");
        carried(s, c.line(), shown, String.join(", ", what));
        return true;
    }

    private static String network(Cidr c) {
        byte[] b = c.address().getAddress();
        for (int i = 0; i < b.length; i++) {
            int keep = Math.max(0, Math.min(8, c.prefixLength() - i * 8));
            b[i] &= (byte) (0xff << (8 - keep));
        }
        try {
            return Cidr.parse(InetAddress.getByAddress(b).getHostAddress() + "/" + c.prefixLength()).toString();
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static boolean familyAgrees(String family, String address) {
        return family == null || (family.equals("inet") && !isV6(address)) || (family.equals("inet6") && isV6(address));
    }

    private boolean isDevice(Tunnel t, String word) {
        return word.equals("%dev%") || (t.device != null && word.equals(t.device));
    }

    private static boolean isMtu(String w) {
        return w.matches("[0-9]{3,5}") && Integer.parseInt(w) >= 576 && Integer.parseInt(w) <= 65000;
    }

    /** The prefix length of a dotted netmask, or null if it is not one. */
    static Integer prefixLength(String mask) {
        if (!mask.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
            return null;
        }
        long bits = 0;
        for (String part : mask.split("\\.")) {
            int v = Integer.parseInt(part);
            if (v > 255) {
                return null;
            }
            bits = (bits << 8) | v;
        }
        int len = Long.numberOfLeadingZeros(~bits & 0xffffffffL) - 32;
        return ((0xffffffffL << (32 - len)) & 0xffffffffL) == bits ? len : null;
    }

    static boolean isIpLiteral(String s) {
        try {
            if (s.contains("/")) {
                return false;
            }
            Cidr.parse(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean isV6(String s) {
        try {
            return !s.contains("/") && Cidr.parse(s).address() instanceof Inet6Address;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static String hostPort(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    private static String describe(Command c) {
        String kw = c.kind().name().toLowerCase(Locale.ROOT);
        if (c.kind() == CommandKind.PROGRAM) {
            return "program" + (c.program() == null ? "" : " " + c.program()) + (c.args() == null ? ""
                    : " \"" + c.args() + "\"") + (c.waits() ? " wait" : "");
        }
        return kw + " \"" + c.args() + "\"";
    }

    private void notCarried(Session s, int line, String what, String why) {
        plan.notCarried.add(new Item(s == null ? null : s.name, line, what, why));
    }

    private void carried(Session s, int line, String what, String why) {
        plan.carried.add(new Item(s == null ? null : s.name, line, what, why));
    }

    private void chosen(Session s, int line, String what, String why) {
        plan.chosen.add(new Item(s == null ? null : s.name, line, what, why));
    }

    // ---- rendering

    /**
     * The site's config as HOCON: keys from reference.conf (and the vtun-legacy schema), strings quoted by
     * Typesafe Config's {@link ConfigUtil#quoteString}; what was not carried over is repeated in comments. Sets
     * each tunnel's {@link Tunnel#peerKeyLine}.
     */
    public static String render(Plan plan) {
        HoconText h = new HoconText();
        h.comment("Culvert config imported from " + plan.source + " by culvert import-vtund ("
                + (plan.legacy ? "vtun-legacy tunnels" : "modern tunnels") + ", " + plan.role.name().toLowerCase(
                        Locale.ROOT) + ": " + plan.roleReason + ").");
        h.comment("Check it with: culvert check-config " + plan.configFile() + "   (every key: man culvert.conf)");
        if (!plan.notCarried.isEmpty()) {
            h.comment("Not carried over from " + plan.source + ":");
            plan.notCarried.forEach(i -> h.comment("  " + commentLine(i)));
        }
        if (!plan.chosen.isEmpty()) {
            h.comment("Chosen by the import (check these):");
            plan.chosen.forEach(i -> h.comment("  " + commentLine(i)));
        }
        h.open("culvert");
        h.kv("private-key-file", ConfigUtil.quoteString(plan.keyFile));
        if (plan.role == Role.SERVER) {
            h.open("listen");
            if (plan.legacy) {
                h.kv("vtun-legacy", ConfigUtil.quoteString(plan.listen));
            } else {
                if (plan.tunnels.stream().anyMatch(t -> t.transport.equals("udp"))) {
                    h.kv("udp", ConfigUtil.quoteString(plan.listen));
                }
                if (plan.tunnels.stream().anyMatch(t -> t.transport.equals("tcp"))) {
                    h.kv("tcp", ConfigUtil.quoteString(plan.listen));
                }
            }
            h.close();
        }
        if (plan.metricsBind != null) {
            h.comment("One daemon per session on this host: each needs its own metrics port (or \"off\"): "
                    + METRICS_PORT + " + the session's place among " + plan.source + "'s sessions ("
                    + String.join(", ", plan.fileSessions) + ").");
            h.kv("metrics.bind", ConfigUtil.quoteString(plan.metricsBind));
        }
        h.open("tunnels");
        for (Tunnel t : plan.tunnels) {
            h.comment("vtund session " + t.session + " (" + plan.source + " line " + t.line + ")");
            h.open(ConfigUtil.joinPath(t.name));
            h.kv("transport", t.transport);
            h.open("device");
            h.kv("mode", t.mode);
            if (t.device != null) {
                h.kv("name", ConfigUtil.quoteString(t.device));
            }
            if (t.mtu != null) {
                h.kv("mtu", String.valueOf(t.mtu));
            }
            if (t.address != null) {
                h.kv("address", ConfigUtil.quoteString(t.address));
            }
            if (!t.routes.isEmpty()) {
                h.kv("routes", list(new ArrayList<>(new LinkedHashSet<>(t.routes))));
            }
            h.close();
            if (!plan.legacy || t.endpoint != null) {
                h.open("peer");
                if (!plan.legacy) {
                    if (t.peerKey != null) {
                        t.peerKeyLine = h.line();
                        h.kv("public-key", ConfigUtil.quoteString(t.peerKey));
                    } else {
                        t.peerKeyPlaceholder = plan.role == Role.SERVER ? "CLIENT-KEY-FOR-" + t.session
                                : "SERVER-KEY";
                        t.peerKeyText = "# public-key = " + ConfigUtil.quoteString(t.peerKeyPlaceholder);
                        h.comment("The peer's public key (it prints it when it imports its vtund.conf, or: culvert "
                                + "pubkey < its key file).");
                        h.comment("Uncomment the next line (delete the \"# \") and replace " + t.peerKeyPlaceholder
                                + " with that key; until then culvert check-config reports it missing:");
                        t.peerKeyLine = h.line();
                        h.raw(t.peerKeyText);
                    }
                }
                if (t.endpoint != null) {
                    h.kv("endpoint", ConfigUtil.quoteString(t.endpoint));
                }
                if (t.allowAll) {
                    h.comment("vtund passes every address: narrow this to the peer's networks if you can");
                    h.kv("allowed-ips", list(List.of("0.0.0.0/0", "::/0")));
                }
                h.close();
            }
            if (t.keepalive != null) {
                h.open("keepalive");
                h.kv("persistent", t.keepalive + "s");
                h.close();
            }
            if (t.compression != null) {
                h.kv("compression", ConfigUtil.quoteString(t.compression));
            }
            if (t.persist != null) {
                h.kv("persist", String.valueOf(t.persist));
            }
            hooks(h, "up", t.up, t.upComments);
            hooks(h, "down", t.down, t.downComments);
            if (plan.legacy) {
                h.open("legacy");
                h.kv("session", ConfigUtil.quoteString(t.session));
                h.kv("password-file", ConfigUtil.quoteString(t.passwordFile));
                if (t.legacyProto != null) {
                    h.kv("proto", t.legacyProto);
                }
                if (t.legacyEncrypt != null) {
                    h.kv("encrypt", t.legacyEncrypt);
                }
                if (t.legacyCompress != null) {
                    h.kv("compress", ConfigUtil.quoteString(t.legacyCompress));
                }
                if (t.legacyKeepalive != null) {
                    h.kv("keepalive", ConfigUtil.quoteString(t.legacyKeepalive));
                }
                h.close();
            }
            h.close();
        }
        h.close();
        h.close();
        return h.toString();
    }

    private static String commentLine(Item i) {
        return (i.line() > 0 ? "line " + i.line() + ": " : "") + (i.session() == null ? "" : i.session() + ": ")
                + i.what() + (i.why() == null ? "" : " — " + i.why());
    }

    private static void hooks(HoconText h, String key, List<String> lines, List<String> comments) {
        if (lines.isEmpty() && comments.isEmpty()) {
            return;
        }
        h.raw(key + " = [");
        h.indent++;
        for (String l : lines) {
            h.raw(ConfigUtil.quoteString(l));
        }
        for (String c : comments) {
            h.comment("not carried over (see above): " + c);
        }
        h.indent--;
        h.raw("]");
    }

    private static String list(List<String> values) {
        return "[" + String.join(", ", values.stream().map(ConfigUtil::quoteString).toList()) + "]";
    }

    /** HOCON text with two-space indentation; tracks the line number for the printed steps. */
    private static final class HoconText {
        private final StringBuilder b = new StringBuilder();
        int indent;
        private int lines;

        void open(String key) {
            raw(key + " {");
            indent++;
        }

        void close() {
            indent--;
            raw("}");
        }

        void kv(String key, String value) {
            raw(key + " = " + value);
        }

        void comment(String text) {
            raw("# " + text.replace("\n", " "));
        }

        void raw(String text) {
            b.append("  ".repeat(indent)).append(text).append('\n');
            lines++;
        }

        /** The 1-based number of the next line. */
        int line() {
            return lines + 1;
        }

        @Override
        public String toString() {
            return b.toString();
        }
    }
}
