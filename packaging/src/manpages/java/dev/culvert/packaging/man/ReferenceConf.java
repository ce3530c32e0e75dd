package dev.culvert.packaging.man;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the layout of the config module's {@code reference.conf}: its opening comment, and each key
 * and block in file order with its full path, its default and the comment just above it.
 *
 * <p>This is not a HOCON parser. It reads the one file it is made for, which keeps to a simple
 * layout: {@code # comment} lines, then one {@code key = value}, {@code key {} } or {@code key {}
 * per line, and {@code }} closing a block. Anything else is an error naming the line, so a change of
 * layout fails the build instead of silently dropping keys from the man page.
 */
final class ReferenceConf {

    /** One key or block, e.g. {@code culvert.listen.udp} with default {@code null}. */
    record Entry(List<String> path, String defaultValue, String comment, boolean block) {
        Entry {
            path = List.copyOf(path);
        }

        /** The dotted path. */
        String key() {
            return String.join(".", path);
        }
    }

    /** The file's opening comment, and every entry in file order. */
    record Document(String preamble, List<Entry> entries) {
        Document {
            entries = List.copyOf(entries);
        }
    }

    private static final Pattern KEY_VALUE = Pattern.compile("^([A-Za-z0-9_.\"-]+)\\s*=\\s*(.+)$");
    private static final Pattern BLOCK_OPEN = Pattern.compile("^([A-Za-z0-9_.\"-]+)\\s*\\{$");
    private static final Pattern EMPTY_BLOCK = Pattern.compile("^([A-Za-z0-9_.\"-]+)\\s*\\{\\s*\\}$");

    private ReferenceConf() {
    }

    /** Parses the text of {@code reference.conf}; {@code source} names it in errors. */
    static Document parse(String text, String source) {
        Deque<String> path = new ArrayDeque<>();
        List<Entry> entries = new ArrayList<>();
        List<String> comment = new ArrayList<>();
        String preamble = null;
        int lineNumber = 0;
        for (String raw : text.split("\n", -1)) {
            lineNumber++;
            String line = raw.strip();
            if (line.startsWith("#")) {
                comment.add(line.length() > 1 && line.charAt(1) == ' ' ? raw.strip().substring(2) : line.substring(1));
                continue;
            }
            if (line.isEmpty()) {
                if (preamble == null && entries.isEmpty() && path.isEmpty() && !comment.isEmpty()) {
                    preamble = String.join("\n", comment);
                    comment.clear();
                }
                continue;
            }
            Matcher m;
            if ((m = EMPTY_BLOCK.matcher(line)).matches()) {
                entries.add(new Entry(pathWith(path, m.group(1)), "{}", joined(comment), false));
            } else if ((m = BLOCK_OPEN.matcher(line)).matches()) {
                path.addLast(unquote(m.group(1)));
                entries.add(new Entry(List.copyOf(path), null, joined(comment), true));
            } else if ((m = KEY_VALUE.matcher(line)).matches()) {
                entries.add(new Entry(pathWith(path, m.group(1)), m.group(2).strip(), joined(comment), false));
            } else if (line.equals("}")) {
                if (path.isEmpty()) {
                    throw new IllegalArgumentException(source + ":" + lineNumber + ": '}' closes no block");
                }
                path.removeLast();
            } else {
                throw new IllegalArgumentException(source + ":" + lineNumber + ": the man page generator expects "
                        + "'# comment', 'key = value', 'key {', 'key {}' or '}' on a line of its own, found: " + line);
            }
            comment.clear();
        }
        if (!path.isEmpty()) {
            throw new IllegalArgumentException(source + ": block '" + String.join(".", path) + "' is never closed");
        }
        return new Document(preamble == null ? "" : preamble, entries);
    }

    private static List<String> pathWith(Deque<String> path, String key) {
        List<String> full = new ArrayList<>(path);
        full.add(unquote(key));
        return full;
    }

    private static String joined(List<String> comment) {
        return String.join("\n", comment);
    }

    private static String unquote(String key) {
        return key.length() >= 2 && key.startsWith("\"") && key.endsWith("\"") ? key.substring(1, key.length() - 1) : key;
    }
}
