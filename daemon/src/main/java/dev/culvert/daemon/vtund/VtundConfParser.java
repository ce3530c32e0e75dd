package dev.culvert.daemon.vtund;

import dev.culvert.daemon.vtund.VtundConf.Command;
import dev.culvert.daemon.vtund.VtundConf.CommandKind;
import dev.culvert.daemon.vtund.VtundConf.Options;
import dev.culvert.daemon.vtund.VtundConf.ParseException;
import dev.culvert.daemon.vtund.VtundConf.Problem;
import dev.culvert.daemon.vtund.VtundConf.Session;
import dev.culvert.daemon.vtund.VtundConf.Setting;
import dev.culvert.daemon.vtund.VtundLexer.Kind;
import dev.culvert.daemon.vtund.VtundLexer.Token;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The rules of vtund 3.0.4's {@code cfg_file.y} (with Debian's ipv4/ipv6/sslauth) as a recursive descent over
 * {@link VtundLexer}'s tokens; bison's conflicts resolve as shifts, as loops that take all they can do here.
 * Messages keep vtund's words ("Unknown option 'x'", "Invalid clause 'x'") and add what was expected.
 */
final class VtundConfParser {
    private static final List<String> SYSLOG_FACILITIES = List.of("auth", "cron", "daemon", "kern", "lpr", "mail",
            "news", "syslog", "user", "uucp", "local0", "local1", "local2", "local3", "local4", "local5", "local6",
            "local7");
    private static final List<String> CIPHERS = List.of("oldblowfish128ecb", "blowfish128ecb", "blowfish128cbc",
            "blowfish128cfb", "blowfish128ofb", "blowfish256ecb", "blowfish256cbc", "blowfish256cfb", "blowfish256ofb",
            "aes128ecb", "aes128cbc", "aes128cfb", "aes128ofb", "aes256ecb", "aes256cbc", "aes256cfb", "aes256ofb");

    private final Path file;
    private final List<Token> tokens;
    private int at;
    private final Options options = new Options();
    private final Session defaults = new Session();
    private final List<Session> sessions = new ArrayList<>();
    private final List<Problem> warnings = new ArrayList<>();
    private final Map<CommandKind, String> programs = new EnumMap<>(CommandKind.class);
    private boolean inDefault;

    VtundConfParser(Path file, List<Token> tokens) {
        this.file = file;
        this.tokens = tokens;
        programs.put(CommandKind.PPP, "/usr/sbin/pppd");
        programs.put(CommandKind.IFCONFIG, "/sbin/ifconfig");
        programs.put(CommandKind.ROUTE, "/sbin/route");
        programs.put(CommandKind.FIREWALL, "/sbin/ipchains");
        programs.put(CommandKind.IP, "/sbin/ip");
    }

    VtundConf parse() throws ParseException {
        defaults.name = "default";
        while (peek().kind() != Kind.EOF) {
            Token t = next();
            if (isKeyword(t, "options")) {
                expect(Kind.OPEN, "'{' after options");
                do {
                    option();
                } while (peek().kind() != Kind.CLOSE);
                next();
            } else if (isKeyword(t, "default")) {
                expect(Kind.OPEN, "'{' after default");
                inDefault = true;
                hostOptions(defaults);
                inDefault = false;
            } else if (t.kind() == Kind.HOST) {
                Session s = defaults.copy(t.text(), t.line());
                expect(Kind.OPEN, "'{' after the session name " + t.text());
                hostOptions(s);
                if (s.passwd == null) {
                    s.incomplete = true;
                    warnings.add(new Problem(s.line, "Ignored incomplete session definition '" + s.name
                            + "' (no passwd: vtund ignores it)"));
                }
                sessions.add(s);
            } else if (t.kind() == Kind.ERROR) {
                throw error(t, "Invalid clause '" + t.text() + "' (a section is options, default or a session "
                        + "name of letters, digits, '_' and '-')");
            } else {
                throw syntax(t, "a section (options, default or a session name)");
            }
        }
        return new VtundConf(file, options, sessions, warnings);
    }

    private void option() throws ParseException {
        Token k = next();
        if (k.kind() == Kind.ERROR) {
            throw unknown("Unknown option", k);
        }
        if (k.kind() != Kind.KEYWORD) {
            throw syntax(k, "an option of the options section");
        }
        switch (k.text()) {
            case "port" -> {
                int port = port(k);
                if (options.port == null) {
                    options.port = new Setting<>(port, k.line(), false);
                }
            }
            case "bindaddr" -> {
                expect(Kind.OPEN, "'{' after bindaddr");
                Token b = next();
                if (isKeyword(b, "addr")) {
                    Token v = expect(Kind.WORD, "an address after addr");
                    options.bindAddr = new Setting<>(v.text(), v.line(), false);
                    options.bindIface = null;
                } else if (isKeyword(b, "iface")) {
                    Token v = next();
                    if (v.kind() != Kind.WORD && v.kind() != Kind.STRING) {
                        throw syntax(v, "an interface name after iface");
                    }
                    options.bindIface = new Setting<>(v.text(), v.line(), false);
                    options.bindAddr = null;
                } else if (b.kind() == Kind.ERROR) {
                    throw unknown("Unknown option", b);
                } else {
                    throw syntax(b, "addr or iface (one of them) in bindaddr");
                }
                expect(Kind.CLOSE, "'}' after the one option of bindaddr");
            }
            case "iface" -> {
                Token v = expect(Kind.STRING, "a quoted interface name after iface");
                if (options.iface == null) {
                    options.iface = new Setting<>(v.text(), v.line(), false);
                }
            }
            case "type" -> {
                String type = word(k, "stand", "inetd");
                if (options.type == null) {
                    options.type = new Setting<>(type, k.line(), false);
                }
            }
            case "timeout" -> {
                int timeout = bounded(k, number(k, "seconds"));
                if (options.timeout == null) {
                    options.timeout = new Setting<>(timeout, k.line(), false);
                }
            }
            case "ppp", "ifconfig", "route", "firewall", "ip" -> {
                Token v = expect(Kind.PATH, "an absolute path after " + k.text());
                CommandKind kind = commandKind(k.text());
                programs.put(kind, v.text());
                options.programs.put(kind, new Setting<>(v.text(), v.line(), false));
            }
            case "syslog" -> {
                Token v = next();
                if (v.kind() == Kind.NUM && v.text().chars().allMatch(Character::isDigit)) {
                    options.syslog = new Setting<>(v.text(), v.line(), false);
                } else if (v.kind() == Kind.WORD) {
                    if (!SYSLOG_FACILITIES.contains(v.text())) {
                        throw error(v, "Unknown syslog facility '" + v.text() + "'");
                    }
                    options.syslog = new Setting<>(v.text(), v.line(), false);
                } else if (v.kind() == Kind.ERROR) {
                    throw unknown("Unknown syslog option", v);
                } else {
                    throw syntax(v, "a syslog facility");
                }
            }
            case "ipv4", "ipv6" -> options.family = new Setting<>(k.text(), k.line(), false);
            default -> throw syntax(k, "an option of the options section (port, bindaddr, iface, type, timeout, "
                    + "ppp, ifconfig, route, firewall, ip, syslog, ipv4, ipv6)");
        }
    }

    private void hostOptions(Session s) throws ParseException {
        do {
            hostOption(s);
        } while (peek().kind() != Kind.CLOSE);
        next();
    }

    private void hostOption(Session s) throws ParseException {
        Token k = next();
        if (k.kind() == Kind.ERROR) {
            throw unknown("Unknown option", k);
        }
        if (k.kind() != Kind.KEYWORD) {
            throw syntax(k, "a session option");
        }
        int line = k.line();
        switch (k.text()) {
            case "passwd", "password" -> s.passwd = set(expect(Kind.WORD, "a password (one word) after "
                    + k.text()).text(), line);
            case "device" -> s.device = set(expect(Kind.WORD, "a device name after device").text(), line);
            case "multi" -> s.multi = set(word(k, "yes", "no", "allow", "deny", "killold"), line);
            case "timeout" -> s.timeout = set(bounded(k, number(k, "seconds")), line);
            case "speed" -> {
                Token v = next();
                if (v.kind() == Kind.NUM && isDigits(v.text())) {
                    s.speed = set(new int[] {bounded(v, v.num()), bounded(v, v.num())}, line);
                } else if (v.kind() == Kind.DNUM && isDigits(v.text().replace(":", ""))) {
                    s.speed = set(new int[] {bounded(v, v.num()), bounded(v, v.num2())}, line);
                } else {
                    throw syntax(v, "kbit/s (N or OUT:IN) after speed");
                }
            }
            case "compress" -> {
                Token v = next();
                if (v.kind() == Kind.NUM && (v.text().equals("yes") || v.text().equals("no") || isDigits(v.text()))) {
                    long level = bounded(v, v.num());
                    s.compress = set(level == 0 ? "no" : "zlib:" + level, line);
                } else if (v.kind() == Kind.DNUM && (v.text().startsWith("zlib:") || v.text().startsWith("lzo:"))) {
                    s.compress = set(v.text().substring(0, v.text().indexOf(':') + 1) + bounded(v, v.num2()), line);
                } else if (v.kind() == Kind.ERROR || v.kind() == Kind.WORD || v.kind() == Kind.NUM
                        || v.kind() == Kind.DNUM) {
                    throw error(v, "Unknown compression '" + v.text() + "' (no, yes, zlib:N or lzo:N)");
                } else {
                    throw syntax(v, "no, yes, zlib:N or lzo:N after compress");
                }
            }
            case "encrypt" -> {
                Token v = next();
                if (v.kind() == Kind.NUM && (v.text().equals("yes") || v.text().equals("no")
                        || v.text().equals("enable") || v.text().equals("disable") || CIPHERS.contains(v.text()))) {
                    String cipher = v.num() == 0 ? "no" : v.text().equals("yes") || v.text().equals("enable")
                            ? "blowfish128ecb" : v.text();
                    s.encrypt = set(cipher, line);
                } else {
                    throw syntax(v, "no, yes or a cipher (" + String.join(", ", CIPHERS) + ") after encrypt");
                }
            }
            case "keepalive" -> {
                Token v = next();
                if (v.kind() == Kind.NUM && (v.num() == 0 || v.num() == 1)) {
                    s.keepalive = set(v.num() == 0 ? "no" : s.kaInterval + ":" + s.kaMaxfail, line);
                } else if (v.kind() == Kind.DNUM && v.num() >= 0) {
                    if (v.num() != 0) {
                        s.kaInterval = bounded(v, v.num());
                        s.kaMaxfail = bounded(v, v.num2());
                        s.keepalive = set(s.kaInterval + ":" + s.kaMaxfail, line);
                    } else {
                        s.keepalive = set("no", line);
                    }
                } else if (v.kind() == Kind.ERROR || v.kind() == Kind.WORD) {
                    throw error(v, "Unknown keepalive option '" + v.text() + "' (yes, no or INTERVAL:COUNT)");
                } else {
                    throw syntax(v, "yes, no or INTERVAL:COUNT after keepalive");
                }
            }
            case "stat" -> s.stat = set(!word(k, "yes", "no", "allow", "deny", "enable", "disable").matches(
                    "no|deny|disable"), line);
            case "persist" -> s.persist = set(bool(word(k, "yes", "no", "keep", "allow", "deny", "enable",
                    "disable")), line);
            case "type" -> s.type = set(word(k, "tun", "ether", "tty", "pipe"), line);
            case "proto" -> s.proto = set(word(k, "tcp", "udp"), line);
            case "nat_hack", "delay_udp" -> s.natHack = set(bool(word(k, "client", "server", "no", "deny",
                    "disable")), line);
            case "sslauth" -> s.sslauth = set(bool(word(k, "yes", "no", "allow", "deny", "enable", "disable"))
                    .equals("yes"), line);
            case "srcaddr" -> {
                expect(Kind.OPEN, "'{' after srcaddr");
                while (peek().kind() != Kind.CLOSE) {
                    Token o = next();
                    if (isKeyword(o, "addr")) {
                        s.srcAddr = set(expect(Kind.WORD, "an address after addr").text(), o.line());
                        s.srcIface = null;
                    } else if (isKeyword(o, "iface")) {
                        Token v = next();
                        if (v.kind() != Kind.WORD && v.kind() != Kind.STRING) {
                            throw syntax(v, "an interface name after iface");
                        }
                        s.srcIface = set(v.text(), o.line());
                        s.srcAddr = null;
                    } else if (isKeyword(o, "port")) {
                        s.srcPort = set(port(o), o.line());
                    } else if (o.kind() == Kind.ERROR) {
                        throw unknown("Unknown option", o);
                    } else {
                        throw syntax(o, "addr, iface or port in srcaddr");
                    }
                }
                next();
            }
            case "up", "down" -> {
                expect(Kind.OPEN, "'{' after " + k.text());
                List<Command> commands = new ArrayList<>();
                while (peek().kind() != Kind.CLOSE) {
                    commands.add(command());
                }
                next();
                if (k.text().equals("up")) {
                    s.up = commands;
                    s.upLine = line;
                } else {
                    s.down = commands;
                    s.downLine = line;
                }
            }
            default -> throw syntax(k, "a session option");
        }
    }

    private Command command() throws ParseException {
        Token k = next();
        if (k.kind() == Kind.ERROR) {
            throw unknown("Unknown cmd", k);
        }
        if (k.kind() != Kind.KEYWORD) {
            throw syntax(k, "a command (program, ppp, ifconfig, route, firewall, ip)");
        }
        if (k.text().equals("program")) {
            String program = null;
            String args = null;
            boolean waits = false;
            int parts = 0;
            while (true) {
                Token v = peek();
                if (v.kind() == Kind.PATH) {
                    program = v.text();
                } else if (v.kind() == Kind.STRING) {
                    args = v.text();
                } else if (v.kind() == Kind.NUM) {
                    waits = (v.num() & 1) != 0; // vtund keeps the number as the flags: 1 (VTUN_CMD_WAIT) waits
                } else {
                    break;
                }
                next();
                parts++;
            }
            if (parts == 0) {
                throw syntax(peek(), "a path, \"arguments\" or wait after program");
            }
            return new Command(CommandKind.PROGRAM, program, args, waits, k.line());
        }
        CommandKind kind = switch (k.text()) {
            case "ppp" -> CommandKind.PPP;
            case "ifconfig", "ifcfg" -> CommandKind.IFCONFIG;
            case "route" -> CommandKind.ROUTE;
            case "firewall" -> CommandKind.FIREWALL;
            case "ip" -> CommandKind.IP;
            default -> throw syntax(k, "a command (program, ppp, ifconfig, route, firewall, ip)");
        };
        Token v = expect(Kind.STRING, "\"arguments\" after " + k.text());
        return new Command(kind, programs.get(kind), v.text(), kind != CommandKind.PPP, k.line());
    }

    private static CommandKind commandKind(String keyword) {
        return switch (keyword) {
            case "ppp" -> CommandKind.PPP;
            case "ifconfig", "ifcfg" -> CommandKind.IFCONFIG;
            case "route" -> CommandKind.ROUTE;
            case "firewall" -> CommandKind.FIREWALL;
            default -> CommandKind.IP;
        };
    }

    /** yes/allow/enable as "yes", no/deny/disable as "no"; other words as they are. */
    private static String bool(String word) {
        return switch (word) {
            case "allow", "enable" -> "yes";
            case "deny", "disable" -> "no";
            default -> word;
        };
    }

    /** A number vtund reads with atoi into an int: here one that does not fit is an error, not a wrapped value. */
    private int bounded(Token t, long value) throws ParseException {
        if (value > Integer.MAX_VALUE) {
            throw error(t, "'" + t.text() + "': number too large");
        }
        return (int) value;
    }

    private int port(Token keyword) throws ParseException {
        Token v = peek();
        long port = number(keyword, "a port number");
        if (port < 1 || port > 65535) {
            throw error(v, "port " + v.text() + ": out of range (1..65535)");
        }
        return (int) port;
    }

    private <T> Setting<T> set(T value, int line) {
        return new Setting<>(value, line, inDefault);
    }

    private long number(Token keyword, String what) throws ParseException {
        Token v = next();
        if (v.kind() != Kind.NUM) {
            throw syntax(v, what + " after " + keyword.text());
        }
        return v.num();
    }

    /** The value word, which must be one of {@code allowed} (vtund would take any cfg_param word or number). */
    private String word(Token keyword, String... allowed) throws ParseException {
        Token v = next();
        for (String a : allowed) {
            if (v.kind() == Kind.NUM && v.text().equals(a)) {
                return a;
            }
        }
        String expected = String.join(", ", allowed);
        if (v.kind() == Kind.NUM) {
            // vtund reads any value word or number here and stores its number; nothing useful comes of it
            throw error(v, keyword.text() + " " + v.text() + ": expected " + expected);
        }
        throw syntax(v, expected + " after " + keyword.text());
    }

    private static boolean isDigits(String s) {
        return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
    }

    private static boolean isKeyword(Token t, String keyword) {
        return t.kind() == Kind.KEYWORD && t.text().equals(keyword);
    }

    private Token peek() {
        return tokens.get(Math.min(at, tokens.size() - 1));
    }

    private Token next() {
        Token t = peek();
        if (at < tokens.size()) {
            at++;
        }
        return t;
    }

    private Token expect(Kind kind, String what) throws ParseException {
        Token t = next();
        if (t.kind() != kind) {
            if (t.kind() == Kind.ERROR) {
                throw unknown("Unknown option", t);
            }
            throw syntax(t, what);
        }
        return t;
    }

    private ParseException syntax(Token t, String expected) {
        return error(t, "syntax error: expected " + expected + ", found " + t.describe());
    }

    private ParseException unknown(String what, Token t) {
        String hint = VtundLexer.KEYWORDS.stream().filter(k -> k.startsWith(t.text()) && !k.equals(t.text()))
                .findFirst().map(k -> " (keywords are never abbreviated: " + k + "?)").orElse("");
        return error(t, what + " '" + t.text() + "'" + hint);
    }

    private ParseException error(Token t, String message) {
        return new ParseException(file, t.line(), message);
    }
}
