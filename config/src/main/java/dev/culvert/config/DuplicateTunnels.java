package dev.culvert.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds a tunnel written twice: HOCON merges two {@code site-b { ... }} fields under {@code tunnels} (in one file, in
 * two {@code tunnels} blocks, or across includes) into one object without a word, so two tunnels meant to be
 * different became one (issue 11 item 7).
 *
 * <p>The parsed tree cannot tell: Typesafe Config merges duplicate fields while parsing, and when the second block
 * sets every key the first did, the merged object keeps only the second's origin. So this reads the raw text, after
 * Typesafe has accepted its syntax: a small scan of HOCON's structure (comments, quoted and triple-quoted strings,
 * path expressions as keys, nested objects, arrays and substitutions skipped as values, includes followed next to
 * the including file as {@link SiblingIncluder} does) that records every field whose whole key path is
 * {@code culvert.tunnels.NAME}. A later {@code culvert.tunnels.site-b.keepalive = 5s} (a deeper path) is an ordinary
 * HOCON override and is not counted. The scan never throws: text it cannot follow ends its scan of that file.
 */
final class DuplicateTunnels {

    /** One place a tunnel is defined. */
    record Place(String file, int line) {
        @Override
        public String toString() {
            return file + ":" + line;
        }
    }

    private static final int MAX_INCLUDE_DEPTH = 16;

    private final Map<String, List<Place>> places = new LinkedHashMap<>();

    private DuplicateTunnels() {
    }

    /**
     * Adds one problem per tunnel defined in more than one place.
     *
     * @param text   the operator's file as read
     * @param origin what to call it in messages
     * @param file   its path, the base of relative includes
     */
    static void check(String text, String origin, Path file, Problems problems) {
        for (Map.Entry<String, List<Place>> tunnel : find(text, origin, file).entrySet()) {
            List<Place> at = tunnel.getValue();
            if (at.size() > 1) {
                Place first = at.get(0);
                problems.add(new ConfigProblem(first.file(), first.line(),
                        Locator.render(List.of(Schema.ROOT_KEY, "tunnels", tunnel.getKey())),
                        "tunnel '" + tunnel.getKey() + "' is defined " + at.size() + " times (at "
                                + String.join(" and ", at.stream().map(Place::toString).toList())
                                + "); HOCON would merge them into one tunnel: rename one, or write the tunnel once"));
            }
        }
    }

    /** Every tunnel name with the places it is defined, in the order found. */
    static Map<String, List<Place>> find(String text, String origin, Path file) {
        DuplicateTunnels found = new DuplicateTunnels();
        found.scan(text, origin, file, List.of(), 0);
        return found.places;
    }

    private void scan(String text, String origin, Path file, List<String> prefix, int depth) {
        try {
            new Scanner(text, origin, file, prefix, depth).fields(false);
        } catch (RuntimeException e) {
            // Typesafe accepted the text; whatever this scan cannot follow, it does not report
        }
    }

    private void record(List<String> path, String origin, int line) {
        if (path.size() == 3 && path.get(0).equals(Schema.ROOT_KEY) && path.get(1).equals("tunnels")) {
            places.computeIfAbsent(path.get(2), k -> new ArrayList<>()).add(new Place(origin, line));
        }
    }

    private static boolean interesting(List<String> path) {
        List<String> tunnels = Schema.TUNNELS_PATH;
        for (int i = 0; i < Math.min(path.size(), tunnels.size()); i++) {
            if (!path.get(i).equals(tunnels.get(i))) {
                return false;
            }
        }
        return path.size() <= tunnels.size() + 1;
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
            List<String> path = prefix;
            fields(inBraces, path);
        }

        private void fields(boolean inBraces, List<String> path) {
            skipSpaceAndSeparators();
            if (!inBraces && path == prefix && peek() == '{') {
                pos++; // a root object in braces
                fields(true, path);
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
                field(path);
                skipSpaceAndSeparators();
            }
        }

        private void field(List<String> path) {
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
            skipSpace(); // HOCON lets a newline come between a key and its separator or value
            if (at('+') && pos + 1 < s.length() && s.charAt(pos + 1) == '=') {
                pos += 2;
                value(full, keyLine, false);
                return;
            }
            if (at('=') || at(':')) {
                pos++;
            }
            value(full, keyLine, true);
        }

        private void value(List<String> full, int keyLine, boolean definition) {
            if (definition) {
                record(full, origin, keyLine);
            }
            skipSpace();
            if (at('{') && interesting(full)) {
                pos++;
                fields(true, full);
                return;
            }
            skipValue();
        }

        /** Skips a value other than an object we descend into: up to a newline, comma or brace at level 0. */
        private void skipValue() {
            int level = 0;
            while (pos < s.length()) {
                char c = peek();
                if (c == '"') {
                    string();
                    continue;
                }
                if (comment()) {
                    continue;
                }
                if (c == '{' || c == '[') {
                    level++;
                } else if (c == '}' || c == ']') {
                    if (level == 0) {
                        return;
                    }
                    level--;
                } else if ((c == '\n' || c == ',') && level == 0) {
                    return;
                } else if (c == '\n') {
                    line++;
                }
                pos++;
            }
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
            int end = s.indexOf('\n', pos);
            String statement = s.substring(pos, end < 0 ? s.length() : end);
            pos = end < 0 ? s.length() : end;
            if (statement.contains("url(") || statement.contains("classpath(")) {
                return;
            }
            int open = statement.indexOf('"');
            int close = open < 0 ? -1 : statement.indexOf('"', open + 1);
            if (close < 0 || depth >= MAX_INCLUDE_DEPTH) {
                return;
            }
            String name = statement.substring(open + 1, close);
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
