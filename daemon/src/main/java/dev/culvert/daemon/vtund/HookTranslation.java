package dev.culvert.daemon.vtund;

import java.util.ArrayList;
import java.util.List;

/**
 * How vtund 3.0.4 turns an up/down line into a program's arguments ({@code lib.c}: {@code subst_opt}, then
 * {@code split_args}, then {@code execv}), redone with Culvert's placeholders so that a Culvert hook
 * ({@code HookCommand.split}, then {@code %dev%}-style substitution per word) gets the same argv.
 *
 * <p>vtund: {@code subst_opt} replaces {@code %%} and {@code %d} (device), {@code %A}/{@code %P} (local underlay
 * address/port), {@code %a}/{@code %p} (remote address/port), {@code %h} (session name); it drops the {@code %} of
 * any other {@code %X} and copies a backslash with the character after it untouched. {@code split_args} then cuts
 * at spaces only (not tabs), {@code '…'} groups, and a backslash makes the next character literal. A
 * {@code program} without a path runs {@code /bin/sh -c ARGS} with the substituted text as it is.
 */
final class HookTranslation {
    /** vtund's substitutions. */
    enum Placeholder { DEV, LOCAL_ADDR, LOCAL_PORT, REMOTE_ADDR, REMOTE_PORT, HOST }

    /** A piece of a word: literal text or a placeholder. */
    record Piece(String text, Placeholder placeholder) {
        static Piece literal(char c) {
            return new Piece(String.valueOf(c), null);
        }
    }

    private HookTranslation() {}

    /** {@code subst_opt}: the args as literal characters and placeholders. */
    static List<Piece> substitute(String args) {
        List<Piece> out = new ArrayList<>();
        int sp = 0;
        while (sp < args.length()) {
            char c = args.charAt(sp);
            if (c == '%') {
                char n = sp + 1 < args.length() ? args.charAt(sp + 1) : 0;
                Placeholder p = switch (n) {
                    case '%', 'd' -> Placeholder.DEV;
                    case 'A' -> Placeholder.LOCAL_ADDR;
                    case 'P' -> Placeholder.LOCAL_PORT;
                    case 'a' -> Placeholder.REMOTE_ADDR;
                    case 'p' -> Placeholder.REMOTE_PORT;
                    case 'h' -> Placeholder.HOST;
                    default -> null;
                };
                if (p == null) {
                    sp++; // vtund drops the '%' of an unknown %X
                    continue;
                }
                out.add(new Piece(null, p));
                sp += 2;
            } else if (c == '\\') {
                out.add(Piece.literal(c));
                sp++;
                if (sp < args.length()) {
                    out.add(Piece.literal(args.charAt(sp)));
                    sp++;
                }
            } else {
                out.add(Piece.literal(c));
                sp++;
            }
        }
        return out;
    }

    /** {@code split_args} over the substituted pieces: the words, each a list of pieces. */
    static List<List<Piece>> split(List<Piece> pieces) {
        List<List<Piece>> words = new ArrayList<>();
        List<Piece> word = null;
        int mode = 0; // 0 between words, 1 in a word, 2 in quotes
        for (int i = 0; i < pieces.size(); i++) {
            Piece p = pieces.get(i);
            char c = p.placeholder() == null ? p.text().charAt(0) : 0;
            if (p.placeholder() == null && c == ' ') {
                if (mode == 1) {
                    words.add(word);
                    word = null;
                    mode = 0;
                } else if (mode == 2) {
                    word.add(p);
                }
            } else if (p.placeholder() == null && c == '\'') {
                if (mode == 0) {
                    word = new ArrayList<>();
                    mode = 2;
                } else {
                    mode = mode == 1 ? 2 : 1;
                }
            } else if (p.placeholder() == null && c == '\\') {
                if (i + 1 >= pieces.size()) {
                    break; // a trailing backslash goes
                }
                Piece escaped = pieces.get(++i);
                if (mode == 0) {
                    word = new ArrayList<>();
                    mode = 1;
                }
                word.add(escaped);
            } else {
                if (mode == 0) {
                    word = new ArrayList<>();
                    mode = 1;
                }
                word.add(p);
            }
        }
        if (mode != 0) {
            words.add(word);
        }
        return words;
    }

    /** The text of pieces, each placeholder written by {@code name}. */
    static String join(List<Piece> pieces, java.util.function.Function<Placeholder, String> name) {
        StringBuilder b = new StringBuilder();
        for (Piece p : pieces) {
            b.append(p.placeholder() == null ? p.text() : name.apply(p.placeholder()));
        }
        return b.toString();
    }

    /**
     * One word quoted so that {@code HookCommand.split} gives it back: bare when it has no whitespace, quote or
     * backslash; else in '…' when it has no ', else in "…" with \ before " and \.
     */
    static String quote(String word) {
        if (!word.isEmpty() && word.chars().noneMatch(c -> Character.isWhitespace(c) || c == '\'' || c == '"'
                || c == '\\')) {
            return word;
        }
        if (word.indexOf('\'') < 0) {
            return "'" + word + "'";
        }
        return "\"" + word.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
