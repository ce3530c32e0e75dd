package dev.culvert.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds a tunnel written twice in one file: HOCON merges two {@code site-b { ... }} fields under {@code tunnels}
 * into one object without a word, so two tunnels meant to be different became one (issue 11 item 7).
 *
 * <p>The rule: within one file, a tunnel's block ({@code t1 { ... }}, also as {@code tunnels.t1 { ... }}) is opened
 * once — a second block of the same name is an error naming both places, whatever keys each sets, since two blocks
 * of one name are two tunnels meant to be different or one written twice. And per setting: within one file, each
 * setting of a tunnel ({@code device.address},
 * {@code keepalive.persistent}, ...) may be given once, whether written in a block ({@code t1 { keepalive { ... } }})
 * or as a path ({@code t1.keepalive.persistent = 25s}); a second one is an error naming both places, since one of
 * the two lines is dead text. Two complete definitions of a tunnel always collide this way (each sets the required
 * {@code peer.public-key}). A tunnel's settings split over places that set different keys in one file are one
 * tunnel. Across files HOCON's override is kept, as operators of HOCON tools use it (defaults in one file, local
 * changes in an include, or the reverse): a later file may extend or override a tunnel, and {@link #overrides} says
 * so. Not counted: {@code +=} (it appends) and values with a substitution (they may build on the earlier value, as
 * {@code allowed-ips = ${...} [...]} does).
 *
 * <p>Why a text scan: the parsed tree cannot tell. Typesafe Config merges duplicate fields while parsing; when the
 * second block sets every key the first did, the merged object is the second one, its origin the second's line
 * only, and the first block's values and lines are gone. Its {@code ConfigDocument} exposes no structure, and its
 * tokenizer is not public API. So this reads the raw text, after Typesafe has accepted its syntax: a small scan of
 * HOCON's structure (comments, quoted and triple-quoted strings, path expressions as keys, nested objects, arrays
 * and substitutions skipped as values, includes followed next to the including file as {@link SiblingIncluder}
 * does) that records every value set under {@code culvert.tunnels.NAME}. The scan never throws: text it cannot
 * follow ends its scan of that file.
 */
final class DuplicateTunnels {

    /**
     * One value set for a tunnel.
     *
     * @param tunnel   the tunnel's name
     * @param setting  its key below the tunnel ({@code device.address}), or empty for the tunnel's own value
     * @param file     the file it is written in, as named in messages
     * @param entry    the line where this place names the tunnel: of {@code site-b} in {@code site-b { ... }} or in
     *                 {@code site-b.x = 1}
     * @param line     the line of the setting itself
     * @param replaces false for a value that may build on an earlier one (a substitution)
     */
    record Setting(String tunnel, String setting, String file, int entry, int line, boolean replaces) {
        String place() {
            return file + ":" + entry;
        }
    }

    private static final int MAX_INCLUDE_DEPTH = 16;
    private static final int TUNNEL_DEPTH = Schema.TUNNELS_PATH.size() + 1;

    private final List<Setting> settings = new ArrayList<>();
    /** Where a block {@code NAME { ... }} of a tunnel opens (setting empty, entry = line = the name's line). */
    private final List<Setting> blocks = new ArrayList<>();

    private DuplicateTunnels() {
    }

    /**
     * Adds one problem per tunnel and file where that file sets one of the tunnel's settings twice.
     *
     * @param text   the operator's file as read
     * @param origin what to call it in messages
     * @param file   its path, the base of relative includes
     */
    static void check(String text, String origin, Path file, Problems problems) {
        DuplicateTunnels found = scanAll(text, origin, file);
        Set<List<String>> reported = new HashSet<>();
        Map<List<String>, Setting> opened = new HashMap<>();
        for (Setting second : found.blocks) {
            Setting first = opened.putIfAbsent(List.of(second.tunnel(), second.file()), second);
            if (first == null || !reported.add(List.of(second.tunnel(), second.file()))) {
                continue;
            }
            problems.add(new ConfigProblem(first.file(), first.line(),
                    Locator.render(List.of(Schema.ROOT_KEY, "tunnels", first.tunnel())),
                    "tunnel '" + first.tunnel() + "' is written twice in one file (two blocks, at " + first.place()
                            + " and " + second.place() + "); HOCON would merge them into one tunnel: rename one, or "
                            + "put its settings in one block (an override belongs in another file, e.g. an include)"));
        }
        Map<List<String>, Setting> seen = new HashMap<>();
        for (Setting second : found.settings) {
            Setting first = second.replaces()
                    ? seen.putIfAbsent(List.of(second.tunnel(), second.setting(), second.file()), second) : null;
            if (first == null || !reported.add(List.of(second.tunnel(), second.file()))) {
                continue;
            }
            boolean oneBlock = first.entry() == second.entry();
            int line1 = oneBlock ? first.line() : first.entry();
            int line2 = oneBlock ? second.line() : second.entry();
            problems.add(new ConfigProblem(first.file(), line1,
                    Locator.render(List.of(Schema.ROOT_KEY, "tunnels", first.tunnel())),
                    "tunnel '" + first.tunnel() + "' is written twice in one file (at " + first.file() + ":" + line1
                            + " and " + first.file() + ":" + line2 + ", both setting "
                            + (first.setting().isEmpty() ? "the tunnel" : first.setting()) + "); HOCON would merge "
                            + "them into one tunnel, the later value winning: rename one, or set each value once "
                            + "(an override belongs in another file, e.g. an include)"));
        }
    }

    /**
     * One line per tunnel and later file that extends or overrides it, e.g. {@code tunnel 't1': settings at
     * b.conf:3 override a.conf:10 (keepalive.persistent)}: for {@code check-config} to say what HOCON merged.
     * A run of settings from one file, in the order HOCON reads them, is one place.
     */
    static List<String> overrides(String text, String origin, Path file) {
        Map<String, List<List<Setting>>> runs = new LinkedHashMap<>();
        for (Setting s : find(text, origin, file)) {
            List<List<Setting>> tunnel = runs.computeIfAbsent(s.tunnel(), k -> new ArrayList<>());
            if (tunnel.isEmpty() || !tunnel.get(tunnel.size() - 1).get(0).file().equals(s.file())) {
                tunnel.add(new ArrayList<>());
            }
            tunnel.get(tunnel.size() - 1).add(s);
        }
        List<String> lines = new ArrayList<>();
        runs.forEach((tunnel, places) -> {
            Set<String> earlier = new LinkedHashSet<>();
            Set<String> set = new HashSet<>();
            for (List<Setting> place : places) {
                List<String> keys = place.stream().map(Setting::setting).distinct().toList();
                List<String> overridden = keys.stream().filter(set::contains).toList();
                if (!earlier.isEmpty()) {
                    lines.add("tunnel '" + tunnel + "': settings at " + place.get(0).place()
                            + (overridden.isEmpty() ? " add to " : " override ") + String.join(", ", earlier)
                            + " (" + String.join(", ", overridden.isEmpty() ? keys : overridden) + ")");
                }
                earlier.add(place.get(0).place());
                set.addAll(keys);
            }
        });
        return lines;
    }

    /** Every value set under {@code culvert.tunnels.NAME}, in the order HOCON reads them (includes in place). */
    static List<Setting> find(String text, String origin, Path file) {
        return scanAll(text, origin, file).settings;
    }

    private static DuplicateTunnels scanAll(String text, String origin, Path file) {
        DuplicateTunnels found = new DuplicateTunnels();
        found.scan(text, origin, file, List.of(), 0);
        return found;
    }

    private void scan(String text, String origin, Path file, List<String> prefix, int depth) {
        try {
            new Scanner(text, origin, file, prefix, depth).fields(false);
        } catch (RuntimeException e) {
            // Typesafe accepted the text; whatever this scan cannot follow, it does not report
        }
    }

    private void record(List<String> path, String origin, int entry, int line, boolean replaces) {
        if (path.size() >= TUNNEL_DEPTH && path.subList(0, TUNNEL_DEPTH - 1).equals(Schema.TUNNELS_PATH)) {
            settings.add(new Setting(path.get(TUNNEL_DEPTH - 1),
                    String.join(".", path.subList(TUNNEL_DEPTH, path.size())), origin, entry, line, replaces));
        }
    }

    /** True for {@code culvert}, {@code culvert.tunnels} and every path below it: objects the scan descends into. */
    private static boolean interesting(List<String> path) {
        List<String> tunnels = Schema.TUNNELS_PATH;
        int common = Math.min(path.size(), tunnels.size());
        return path.subList(0, common).equals(tunnels.subList(0, common));
    }

    /** A scan of one file's text. */
    private final class Scanner {
        private final String s;
        private final String origin;
        private final Path file;
        private final List<String> prefix;
        private final int depth;
        private int pos;
        private int line = 1;

        Scanner(String text, String origin, Path file, List<String> prefix, int depth) {
            this.s = text;
            this.origin = origin;
            this.file = file;
            this.prefix = prefix;
            this.depth = depth;
        }

        /** Reads fields up to the end of the text, or the closing brace of the object when {@code inBraces}. */
        void fields(boolean inBraces) {
            fields(inBraces, prefix, -1);
        }

        /** {@code entry}: the line that named the tunnel these fields belong to; -1 if not yet named here. */
        private void fields(boolean inBraces, List<String> path, int entry) {
            skipSpaceAndSeparators();
            if (!inBraces && path == prefix && pos < s.length() && peek() == '{') {
                pos++; // a root object in braces
                fields(true, path, entry);
                return;
            }
            while (pos < s.length()) {
                char c = peek();
                if (c == '}') {
                    pos++;
                    if (inBraces) {
                        return;
                    }
                    continue;
                }
                field(path, entry);
                skipSpaceAndSeparators();
            }
        }

        private void field(List<String> path, int entry) {
            int keyLine = line;
            if (includeStatement()) {
                include(path);
                return;
            }
            List<String> key = key();
            if (key.isEmpty()) {
                pos++; // not a key: step over it
                return;
            }
            List<String> full = new ArrayList<>(path);
            full.addAll(key);
            int here = entry < 0 && full.size() >= TUNNEL_DEPTH ? keyLine : entry;
            skipSpace(); // HOCON lets a newline come between a key and its separator or value
            if (at('+') && pos + 1 < s.length() && s.charAt(pos + 1) == '=') {
                pos += 2;
                skipValue(); // appends: not a second value
                return;
            }
            if (at('=') || at(':')) {
                pos++;
            }
            skipSpace();
            if (at('{') && interesting(full)) {
                if (full.size() == TUNNEL_DEPTH && full.subList(0, TUNNEL_DEPTH - 1).equals(Schema.TUNNELS_PATH)) {
                    blocks.add(new Setting(full.get(TUNNEL_DEPTH - 1), "", origin, keyLine, keyLine, true));
                }
                pos++;
                fields(true, full, here);
                skipValue(); // what may follow the object: "{ ... } ${x}"
                return;
            }
            boolean substitution = skipValue();
            record(full, origin, here < 0 ? keyLine : here, keyLine, !substitution);
        }

        /**
         * Skips a value other than an object we descend into: up to a newline, comma or brace at level 0.
         *
         * @return whether it holds a substitution
         */
        private boolean skipValue() {
            int level = 0;
            boolean substitution = false;
            while (pos < s.length()) {
                char c = peek();
                if (c == '"') {
                    string();
                    continue;
                }
                if (comment()) {
                    continue;
                }
                if (c == '$' && next() == '{') {
                    substitution = true;
                }
                if (c == '{' || c == '[') {
                    level++;
                } else if (c == '}' || c == ']') {
                    if (level == 0) {
                        return substitution;
                    }
                    level--;
                } else if ((c == '\n' || c == ',') && level == 0) {
                    return substitution;
                } else if (c == '\n') {
                    line++;
                }
                pos++;
            }
            return substitution;
        }

        /** A key: path elements joined by dots, quoted elements kept whole. Empty if none here. */
        private List<String> key() {
            List<String> elements = new ArrayList<>();
            StringBuilder current = new StringBuilder();
            boolean any = false;
            while (pos < s.length()) {
                char c = peek();
                if (c == '"') {
                    current.append(string());
                    any = true;
                } else if (c == '.') {
                    elements.add(current.toString().strip());
                    current.setLength(0);
                    pos++;
                } else if (c == '\n' || "{}[]:=,+#$".indexOf(c) >= 0 || c == '/' && next() == '/') {
                    break;
                } else {
                    current.append(c);
                    any = any || !Character.isWhitespace(c);
                    pos++;
                }
            }
            if (!any) {
                return List.of();
            }
            elements.add(current.toString().strip());
            return elements;
        }

        /** True at an include statement: {@code include} then a quoted name or {@code required(}, {@code file(}... */
        private boolean includeStatement() {
            if (!s.startsWith("include", pos) || pos + 7 >= s.length() || !Character.isWhitespace(s.charAt(pos + 7))) {
                return false;
            }
            int after = pos + 7;
            while (after < s.length() && s.charAt(after) != '\n' && Character.isWhitespace(s.charAt(after))) {
                after++;
            }
            return s.startsWith("\"", after) || s.startsWith("required(", after) || s.startsWith("file(", after)
                    || s.startsWith("url(", after) || s.startsWith("classpath(", after);
        }

        /** {@code include "x"}, {@code include file("x")}, {@code include required(...)}: the named file's fields. */
        private void include(List<String> path) {
            int open = s.indexOf('"', pos);
            int close = open < 0 ? -1 : s.indexOf('"', open + 1);
            if (close < 0) {
                pos = s.length();
                return;
            }
            String statement = s.substring(pos, open);
            String name = s.substring(open + 1, close);
            pos = close + 1;
            while (at(')') || at(' ') || at('\t')) {
                pos++; // the closing parentheses of required(file("x")); what follows is the enclosing object's
            }
            if (statement.contains("url(") || statement.contains("classpath(") || depth >= MAX_INCLUDE_DEPTH) {
                return;
            }
            Path parent = file.getParent();
            Path target = (parent != null ? parent : Path.of("")).resolve(name);
            if (!Files.isRegularFile(target) && Files.isRegularFile(Path.of(target + ".conf"))) {
                target = Path.of(target + ".conf");
            }
            String text;
            try {
                text = Files.readString(target);
            } catch (IOException | RuntimeException e) {
                return;
            }
            DuplicateTunnels.this.scan(text, target.toString(), target, path, depth + 1);
        }

        /** A quoted or triple-quoted string at pos; returns its content (escapes kept as written). */
        private String string() {
            if (s.startsWith("\"\"\"", pos)) {
                int end = s.indexOf("\"\"\"", pos + 3);
                end = end < 0 ? s.length() : end;
                while (end + 3 < s.length() && s.charAt(end + 3) == '"') {
                    end++; // """ may end with extra quotes that belong to the content
                }
                String content = s.substring(pos + 3, end);
                line += (int) content.chars().filter(ch -> ch == '\n').count();
                pos = Math.min(s.length(), end + 3);
                return content;
            }
            StringBuilder out = new StringBuilder();
            pos++;
            while (pos < s.length() && peek() != '"' && peek() != '\n') {
                if (peek() == '\\' && pos + 1 < s.length()) {
                    out.append(peek());
                    pos++;
                }
                out.append(peek());
                pos++;
            }
            pos = Math.min(s.length(), pos + 1);
            return out.toString();
        }

        /** Skips a comment at pos ({@code #} or {@code //} to the end of the line); false if none. */
        private boolean comment() {
            if (at('#') || at('/') && next() == '/') {
                while (pos < s.length() && peek() != '\n') {
                    pos++;
                }
                return true;
            }
            return false;
        }

        private void skipSpaceAndSeparators() {
            while (pos < s.length()) {
                char c = peek();
                if (c == '\n') {
                    line++;
                    pos++;
                } else if (Character.isWhitespace(c) || c == ',') {
                    pos++;
                } else if (!comment()) {
                    return;
                }
            }
        }

        /** Skips whitespace, newlines (counted) and comments. */
        private void skipSpace() {
            while (pos < s.length()) {
                char c = peek();
                if (c == '\n') {
                    line++;
                    pos++;
                } else if (Character.isWhitespace(c)) {
                    pos++;
                } else if (!comment()) {
                    return;
                }
            }
        }

        private boolean at(char c) {
            return pos < s.length() && s.charAt(pos) == c;
        }

        private char peek() {
            return s.charAt(pos);
        }

        private char next() {
            return pos + 1 < s.length() ? s.charAt(pos + 1) : 0;
        }
    }
}
