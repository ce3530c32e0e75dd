package dev.culvert.daemon.vtund;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A vtund.conf as vtund 3.0.4 (Debian's {@code vtun 3.0.4-2}) reads it: the grammar of {@code cfg_file.y} over the
 * tokens of {@code cfg_file.l} ({@link VtundLexer}); the keywords are in ../shared/docs/VTUN.md §1.
 *
 * <p>Shapes: {@code options { port N; bindaddr { addr A; | iface I; }; iface "I"; type stand|inetd; timeout N;
 * ppp|ifconfig|route|firewall|ip /path; syslog facility|N; ipv4; ipv6; }}, {@code default { … }} and
 * {@code NAME { … }} with the session keywords {@code passwd|password W; device W; multi yes|no|allow|deny|killold;
 * timeout N; speed N|IN:OUT; compress no|yes|N|zlib:N|lzo:N; encrypt no|yes|CIPHER; keepalive yes|no|I:C;
 * stat yes|no; persist yes|no|keep; type tun|ether|tty|pipe; proto tcp|udp; nat_hack|delay_udp client|server|no;
 * sslauth yes|no; srcaddr { addr A; iface I; port N; }; up { … }; down { … };} and, in up/down,
 * {@code program [/path] ["args"] [wait]; ppp|ifconfig|route|firewall|ip "args";}. As in vtund: a session starts as
 * a copy of the {@code default} section read so far (sections after it do not reach back); an {@code up} or
 * {@code down} block replaces the inherited one; the program of an {@code ifconfig}, {@code route}, ... line is the
 * path the {@code options} before it named (defaults {@code /sbin/ifconfig}, {@code /sbin/route},
 * {@code /sbin/ipchains}, {@code /sbin/ip}, {@code /usr/sbin/pppd}); a session without a password is ignored
 * (kept here with {@link Session#incomplete}); of two sessions of one name vtund finds the first.
 *
 * <p>Where vtund is laxer than useful this parser is stricter, and says so: an enumeration given a number
 * ({@code type 1}), {@code compress lzo} without a level, or a cipher number are errors here. A syntax error is
 * fatal (vtund logs it and keeps only the sessions before it).
 */
public final class VtundConf {
    /** A problem at a line of the file. */
    public record Problem(int line, String message) {}

    /** A vtund.conf that vtund does not read as a whole: {@code file:line: message}. */
    public static final class ParseException extends Exception {
        private final Path file;
        private final int line;

        ParseException(Path file, int line, String message) {
            super(file + ":" + line + ": " + message);
            this.file = file;
            this.line = line;
        }

        public Path file() {
            return file;
        }

        public int line() {
            return line;
        }
    }

    /** A value and the line that set it (0: vtund's default, not in the file). */
    public record Setting<T>(T value, int line, boolean fromDefaultSection) {
        boolean inFile() {
            return line > 0;
        }
    }

    /** What an up/down line is: {@code program} or one of the program-path keywords. */
    public enum CommandKind { PROGRAM, PPP, IFCONFIG, ROUTE, FIREWALL, IP }

    /**
     * One up/down command.
     *
     * @param kind    its keyword
     * @param program the program (null: {@code program "args"} without a path runs {@code /bin/sh -c args})
     * @param args    the arguments string as written between the quotes (null: none)
     * @param waits   vtund waits for it to end ({@code wait}, or always for ifconfig/route/firewall/ip)
     * @param line    where it is
     */
    public record Command(CommandKind kind, String program, String args, boolean waits, int line) {}

    /** The {@code options} section (the globals; the first {@code port}, {@code type}, {@code timeout}, {@code iface} win). */
    public static final class Options {
        Setting<Integer> port;
        Setting<String> bindAddr;
        Setting<String> bindIface;
        Setting<String> iface;
        Setting<String> type;
        Setting<Integer> timeout;
        Setting<String> syslog;
        Setting<String> family;
        final Map<CommandKind, Setting<String>> programs = new LinkedHashMap<>();

        public Optional<Setting<Integer>> port() {
            return Optional.ofNullable(port);
        }

        public Optional<Setting<String>> bindAddr() {
            return Optional.ofNullable(bindAddr);
        }

        public Optional<Setting<String>> bindIface() {
            return Optional.ofNullable(bindIface);
        }

        public Optional<Setting<String>> iface() {
            return Optional.ofNullable(iface);
        }

        public Optional<Setting<String>> type() {
            return Optional.ofNullable(type);
        }

        public Optional<Setting<Integer>> timeout() {
            return Optional.ofNullable(timeout);
        }

        public Optional<Setting<String>> syslog() {
            return Optional.ofNullable(syslog);
        }

        public Optional<Setting<String>> family() {
            return Optional.ofNullable(family);
        }

        /** The {@code ppp|ifconfig|route|firewall|ip /path} lines, last of each. */
        public Map<CommandKind, Setting<String>> programs() {
            return programs;
        }
    }

    /**
     * A session (or the default section): each setting with the line that set it; vtund's defaults have line 0.
     * Names as vtund's keywords; enumerations as the words of {@code cfg_param}.
     */
    public static final class Session implements Cloneable {
        String name;
        int line;
        Setting<String> passwd;
        Setting<String> device;
        Setting<String> multi = new Setting<>("allow", 0, false);
        Setting<Integer> timeout;
        Setting<int[]> speed;
        /** "no", "zlib:N" or "lzo:N". */
        Setting<String> compress = new Setting<>("no", 0, false);
        Setting<String> encrypt = new Setting<>("no", 0, false);
        /** "no" or "I:C". */
        Setting<String> keepalive = new Setting<>("no", 0, false);
        Setting<Boolean> stat = new Setting<>(false, 0, false);
        Setting<String> persist = new Setting<>("no", 0, false);
        Setting<String> type = new Setting<>("tty", 0, false);
        Setting<String> proto = new Setting<>("tcp", 0, false);
        Setting<String> natHack;
        Setting<Boolean> sslauth;
        Setting<String> srcAddr;
        Setting<String> srcIface;
        Setting<Integer> srcPort;
        int kaInterval = 30;
        int kaMaxfail = 4;
        List<Command> up = new ArrayList<>();
        int upLine;
        List<Command> down = new ArrayList<>();
        int downLine;
        boolean incomplete;

        Session copy(String name, int line) {
            try {
                Session s = (Session) clone();
                s.name = name;
                s.line = line;
                s.passwd = null; // vtund: parse_host->passwd = NULL
                s.up = new ArrayList<>(up);
                s.down = new ArrayList<>(down);
                return s;
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);
            }
        }

        public String name() {
            return name;
        }

        public int line() {
            return line;
        }

        /** True when vtund ignores it ("Ignored incomplete session definition": no password). */
        public boolean incomplete() {
            return incomplete;
        }

        public Optional<Setting<String>> passwd() {
            return Optional.ofNullable(passwd);
        }

        public Optional<Setting<String>> device() {
            return Optional.ofNullable(device);
        }

        public Setting<String> multi() {
            return multi;
        }

        public Optional<Setting<Integer>> timeout() {
            return Optional.ofNullable(timeout);
        }

        /** {out, in} kbit/s; absent or 0/0 means no shaping. */
        public Optional<Setting<int[]>> speed() {
            return Optional.ofNullable(speed);
        }

        public Setting<String> compress() {
            return compress;
        }

        public Setting<String> encrypt() {
            return encrypt;
        }

        public Setting<String> keepalive() {
            return keepalive;
        }

        public Setting<Boolean> stat() {
            return stat;
        }

        public Setting<String> persist() {
            return persist;
        }

        public Setting<String> type() {
            return type;
        }

        public Setting<String> proto() {
            return proto;
        }

        public Optional<Setting<String>> natHack() {
            return Optional.ofNullable(natHack);
        }

        public Optional<Setting<Boolean>> sslauth() {
            return Optional.ofNullable(sslauth);
        }

        public Optional<Setting<String>> srcAddr() {
            return Optional.ofNullable(srcAddr);
        }

        public Optional<Setting<String>> srcIface() {
            return Optional.ofNullable(srcIface);
        }

        public Optional<Setting<Integer>> srcPort() {
            return Optional.ofNullable(srcPort);
        }

        public List<Command> up() {
            return up;
        }

        public List<Command> down() {
            return down;
        }
    }

    private final Path file;
    private final Options options;
    private final List<Session> sessions;
    private final List<Problem> warnings;

    VtundConf(Path file, Options options, List<Session> sessions, List<Problem> warnings) {
        this.file = file;
        this.options = options;
        this.sessions = List.copyOf(sessions);
        this.warnings = List.copyOf(warnings);
    }

    /** The file it was read from (as given). */
    public Path file() {
        return file;
    }

    public Options options() {
        return options;
    }

    /** Every session in file order, incomplete ones and repeated names included. */
    public List<Session> sessions() {
        return sessions;
    }

    /** The session vtund uses for {@code name}: the first complete one of that name. */
    public Optional<Session> session(String name) {
        return sessions.stream().filter(s -> s.name.equals(name) && !s.incomplete).findFirst();
    }

    /** What vtund would log and go past (invalid characters). */
    public List<Problem> warnings() {
        return warnings;
    }

    /**
     * Reads {@code file}.
     *
     * @throws IOException    the file cannot be read
     * @throws ParseException what vtund would call a syntax error, an unknown option or clause, with its line
     */
    public static VtundConf read(Path file) throws IOException, ParseException {
        byte[] bytes = Files.readAllBytes(file);
        // vtund reads bytes; every byte a Latin-1 char keeps a non-ASCII byte one invalid character, as flex sees it
        return parse(new String(bytes, StandardCharsets.ISO_8859_1), file);
    }

    /** Parses {@code text} as the content of {@code file} (the name is for messages). */
    public static VtundConf parse(String text, Path file) throws ParseException {
        VtundLexer.Result scan = VtundLexer.scan(text);
        VtundConfParser parser = new VtundConfParser(file, scan.tokens());
        VtundConf conf;
        try {
            conf = parser.parse();
        } catch (ParseException e) {
            if (scan.fatal() != null && e.line() >= scan.fatal().line()) {
                throw new ParseException(file, scan.fatal().line(), scan.fatal().message());
            }
            throw e;
        }
        if (scan.fatal() != null) {
            throw new ParseException(file, scan.fatal().line(), scan.fatal().message());
        }
        List<Problem> warnings = new ArrayList<>(scan.skipped());
        warnings.addAll(conf.warnings);
        return new VtundConf(file, conf.options, conf.sessions, warnings);
    }
}
