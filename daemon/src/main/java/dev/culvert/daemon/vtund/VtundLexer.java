package dev.culvert.daemon.vtund;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The tokens of a vtund.conf, cut as vtund 3.0.4's flex scanner ({@code cfg_file.l}) cuts them: three start
 * conditions (INITIAL between sections, OPTION inside braces, PARAM after a keyword until its {@code ;}) kept on a
 * stack of 16 as the scanner keeps them; at each position the longest match of the rules active in the condition
 * wins, the earlier rule on a tie. So, as in vtund: {@code #} starts a comment only between sections and between
 * keywords (in a value it is a word character, and a comment needs its newline); a string runs from a {@code "} to
 * the LAST {@code "} on its line; keywords and values are case-sensitive and never abbreviated ({@code strncmp} over
 * 20 characters in {@code find_keyword}); a numeric word is a number, a word in {@code cfg_param} ({@code yes},
 * {@code tun}, {@code lzo}, ...) is a number too ({@code cfg_kwords.h}). The state follows only the text, never the
 * parser, so the file can be cut into tokens first.
 */
final class VtundLexer {
    /** Token kinds, as {@code cfg_file.y} names them. */
    enum Kind { KEYWORD, HOST, ERROR, WORD, PATH, STRING, NUM, DNUM, OPEN, CLOSE, EOF }

    /**
     * One token.
     *
     * @param kind  its kind
     * @param text  the matched text (a string without its quotes)
     * @param line  1-based line where it starts
     * @param num   NUM: the number or the cfg_param word's value; DNUM: the first number (-1: the word before
     *              ':' is not a cfg_param word)
     * @param num2  DNUM: the number after ':'
     */
    record Token(Kind kind, String text, int line, long num, long num2) {
        String describe() {
            return switch (kind) {
                case EOF -> "the end of the file";
                case OPEN -> "'{'";
                case CLOSE -> "'}'";
                case STRING -> "\"" + text + "\"";
                default -> "'" + text + "'";
            };
        }
    }

    /** Keywords ({@code cfg_keyword} of Debian's 3.0.4, which adds ipv4, ipv6 and sslauth). */
    static final List<String> KEYWORDS = List.of("options", "default", "up", "down", "ipv4", "ipv6", "port", "srcaddr",
            "addr", "iface", "bindaddr", "sslauth", "persist", "multi", "timeout", "passwd", "password", "program",
            "speed", "compress", "encrypt", "type", "proto", "nat_hack", "delay_udp", "device", "ppp", "ifconfig",
            "ifcfg", "firewall", "route", "ip", "keepalive", "stat", "syslog");

    /** Value words ({@code cfg_param}) and their values, from vtun.h. */
    static final Map<String, Long> PARAMS = Map.ofEntries(Map.entry("yes", 1L), Map.entry("no", 0L),
            Map.entry("allow", 1L), Map.entry("deny", 0L), Map.entry("enable", 1L), Map.entry("disable", 0L),
            Map.entry("tty", 0x100L), Map.entry("pipe", 0x200L), Map.entry("ether", 0x400L), Map.entry("tun", 0x800L),
            Map.entry("tcp", 0x10L), Map.entry("udp", 0x20L), Map.entry("client", 0x4000L),
            Map.entry("server", 0x8000L), Map.entry("lzo", 2L), Map.entry("zlib", 1L), Map.entry("wait", 1L),
            Map.entry("killold", 2L), Map.entry("inetd", 1L), Map.entry("stand", 0L), Map.entry("keep", 2L),
            Map.entry("oldblowfish128ecb", 999L), Map.entry("blowfish128ecb", 1L), Map.entry("blowfish128cbc", 2L),
            Map.entry("blowfish128cfb", 3L), Map.entry("blowfish128ofb", 4L), Map.entry("blowfish256ecb", 5L),
            Map.entry("blowfish256cbc", 6L), Map.entry("blowfish256cfb", 7L), Map.entry("blowfish256ofb", 8L),
            Map.entry("aes128ecb", 9L), Map.entry("aes128cbc", 10L), Map.entry("aes128cfb", 11L),
            Map.entry("aes128ofb", 12L), Map.entry("aes256ecb", 13L), Map.entry("aes256cbc", 14L),
            Map.entry("aes256cfb", 15L), Map.entry("aes256ofb", 16L));

    /** vtund's {@code str_buf} holds 255 bytes: a longer string ends the scan ("string to long"). */
    static final int MAX_STRING = 254;

    private static final int INITIAL = 0;
    private static final int OPTION = 1;
    private static final int PARAM = 2;

    /** What the scan found: the tokens (ending with EOF) and what vtund would log and skip. */
    record Result(List<Token> tokens, List<VtundConf.Problem> skipped, VtundConf.Problem fatal) {}

    private final String text;
    private int pos;
    private int line = 1;
    private int state = INITIAL;
    private final int[] stack = new int[16];
    private int depth;

    private VtundLexer(String text) {
        this.text = text;
    }

    static Result scan(String text) {
        return new VtundLexer(text).run();
    }

    private Result run() {
        List<Token> tokens = new ArrayList<>();
        List<VtundConf.Problem> skipped = new ArrayList<>();
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == ' ' || c == '\t') {
                pos++;
                continue;
            }
            if (c == '\n') {
                line++;
                pos++;
                continue;
            }
            int start = pos;
            int startLine = line;
            // comment: \#.*\n, INITIAL and OPTION only; longer than the word "#..." by its newline
            if (c == '#' && state != PARAM) {
                int nl = text.indexOf('\n', pos);
                if (nl >= 0) {
                    pos = nl + 1;
                    line++;
                    continue;
                }
            }
            if (c == '{') {
                if (!push()) {
                    return fatal(tokens, skipped, new VtundConf.Problem(line, "too many nested '{'"));
                }
                state = OPTION;
                pos++;
                tokens.add(new Token(Kind.OPEN, "{", startLine, 0, 0));
                continue;
            }
            if (c == '}') {
                if (depth == 0) {
                    return fatal(tokens, skipped, new VtundConf.Problem(line, "'}' without its '{'"));
                }
                state = stack[--depth];
                pos++;
                tokens.add(new Token(Kind.CLOSE, "}", startLine, 0, 0));
                continue;
            }
            int word = span(pos, VtundLexer::isWordChar);
            if (state == INITIAL) {
                int kword = span(pos, VtundLexer::isKwordChar);
                if (kword > 0 && kword >= word) {
                    String w = text.substring(pos, pos + kword);
                    pos += kword;
                    tokens.add(new Token(KEYWORDS.contains(w) ? Kind.KEYWORD : Kind.HOST, w, startLine, 0, 0));
                    continue;
                }
                if (word > 0) {
                    tokens.add(new Token(Kind.ERROR, text.substring(pos, pos + word), startLine, 0, 0));
                    pos += word;
                    continue;
                }
            } else if (state == OPTION) {
                if (word > 0) {
                    String w = text.substring(pos, pos + word);
                    pos += word;
                    if (KEYWORDS.contains(w)) {
                        if (!push()) {
                            return fatal(tokens, skipped, new VtundConf.Problem(line, "too many nested sections"));
                        }
                        state = PARAM;
                        tokens.add(new Token(Kind.KEYWORD, w, startLine, 0, 0));
                    } else {
                        tokens.add(new Token(Kind.ERROR, w, startLine, 0, 0));
                    }
                    continue;
                }
            } else {
                Token t = param(startLine, word);
                if (t != null) {
                    if (t.kind() == Kind.EOF) {
                        return fatal(tokens, skipped, new VtundConf.Problem(startLine,
                                "string too long (vtund takes at most " + MAX_STRING + " characters)"));
                    }
                    tokens.add(t);
                    continue;
                }
                if (c == ';') {
                    pos++;
                    state = depth > 0 ? stack[--depth] : INITIAL;
                    continue;
                }
            }
            // <*>. : vtund logs "Invalid character" and goes on
            skipped.add(new VtundConf.Problem(startLine, "invalid character '" + printable(c)
                    + "' (vtund logs it and skips it)"));
            pos = start + 1;
        }
        tokens.add(new Token(Kind.EOF, "", line, 0, 0));
        return new Result(tokens, skipped, null);
    }

    private Result fatal(List<Token> tokens, List<VtundConf.Problem> skipped, VtundConf.Problem problem) {
        tokens.add(new Token(Kind.EOF, "", problem.line(), 0, 0));
        return new Result(tokens, skipped, problem);
    }

    /** The PARAM rules in their order: string, dnum, num, word, wordnm, path. Null: none matched. */
    private Token param(int startLine, int word) {
        char c = text.charAt(pos);
        int eol = text.indexOf('\n', pos);
        int end = eol < 0 ? text.length() : eol;
        int string = 0;
        if (c == '"') {
            int last = text.lastIndexOf('"', end - 1);
            if (last > pos) {
                string = last + 1 - pos;
            }
        }
        int digits = span(pos, Character::isDigit);
        int dnum = 0;
        if (digits > 0 && pos + digits < text.length() && text.charAt(pos + digits) == ':') {
            int more = span(pos + digits + 1, Character::isDigit);
            if (more > 0) {
                dnum = digits + 1 + more;
            }
        }
        int wordnm = 0;
        if (word > 0 && pos + word < text.length() && text.charAt(pos + word) == ':') {
            int more = span(pos + word + 1, Character::isDigit);
            if (more > 0) {
                wordnm = word + 1 + more;
            }
        }
        int path = 0;
        int p = pos;
        while (p < text.length() && text.charAt(p) == '/') {
            int f = span(p + 1, VtundLexer::isFnameChar);
            if (f == 0) {
                break;
            }
            p += 1 + f;
        }
        path = p - pos;
        int best = Math.max(Math.max(string, dnum), Math.max(Math.max(digits, word), Math.max(wordnm, path)));
        if (best == 0) {
            return null;
        }
        String matched = text.substring(pos, pos + best);
        pos += best;
        if (best == string) {
            if (best - 2 > MAX_STRING) {
                return new Token(Kind.EOF, "", startLine, 0, 0);
            }
            return new Token(Kind.STRING, matched.substring(1, best - 1), startLine, 0, 0);
        } else if (best == dnum) {
            int colon = matched.indexOf(':');
            return new Token(Kind.DNUM, matched, startLine, atoi(matched.substring(0, colon)),
                    atoi(matched.substring(colon + 1)));
        } else if (best == digits) {
            return new Token(Kind.NUM, matched, startLine, atoi(matched), 0);
        } else if (best == word) {
            Long value = PARAMS.get(matched);
            return value != null ? new Token(Kind.NUM, matched, startLine, value, 0)
                    : new Token(Kind.WORD, matched, startLine, 0, 0);
        } else if (best == wordnm) {
            int colon = matched.lastIndexOf(':');
            Long value = PARAMS.get(matched.substring(0, colon));
            return new Token(Kind.DNUM, matched, startLine, value == null ? -1 : value,
                    atoi(matched.substring(colon + 1)));
        }
        return new Token(Kind.PATH, matched, startLine, 0, 0);
    }

    /** C's atoi on digits: saturates rather than throwing on a very long number. */
    private static long atoi(String digits) {
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private boolean push() {
        if (depth == stack.length) {
            return false;
        }
        stack[depth++] = state;
        return true;
    }

    private int span(int from, java.util.function.IntPredicate accept) {
        int i = from;
        while (i < text.length() && accept.test(text.charAt(i))) {
            i++;
        }
        return i - from;
    }

    private static boolean isAsciiAlnum(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /** {@code word [A-Za-z0-9\-\_+=\!\$\#\%\&\*\^\@\\\~\.]+} */
    static boolean isWordChar(int c) {
        return isAsciiAlnum(c) || "-_+=!$#%&*^@\\~.".indexOf(c) >= 0;
    }

    /** {@code kword [A-Za-z0-9\_\-]+} */
    private static boolean isKwordChar(int c) {
        return isAsciiAlnum(c) || c == '_' || c == '-';
    }

    /** {@code fname [A-Za-z0-9\_\.\-]+} */
    private static boolean isFnameChar(int c) {
        return isAsciiAlnum(c) || c == '_' || c == '.' || c == '-';
    }

    private static String printable(char c) {
        return c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c);
    }
}
