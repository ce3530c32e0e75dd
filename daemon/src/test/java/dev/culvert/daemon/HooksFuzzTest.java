package dev.culvert.daemon;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.culvert.config.HookCommand;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Jazzer fuzz target for hook command splitting ({@link HookCommand#split}) and substitution
 * ({@link Hooks.Values#substitute}), the two steps {@link Hooks#run} takes before it starts a command (no shell).
 * The contract: splitting throws nothing but {@link IllegalArgumentException} for an unbalanced quote; words quoted
 * back and split again are the same words; each placeholder in a word is replaced by its value once, and text
 * that came from a value is never read as a placeholder again; a value never adds or removes a word.
 *
 * <p>Input: UTF-8 text, NUL-separated: the command, then the values of %dev%, %name%, %peer%, %local%
 * (missing ones are {@code cv0}, {@code site-b}, {@code 192.0.2.2:51820}, {@code 192.0.2.1:51820}).
 */
class HooksFuzzTest {
    private static final String[] PLACEHOLDERS = {"%dev%", "%name%", "%peer%", "%local%"};

    @FuzzTest(maxDuration = "30s")
    void splitAndSubstitute(byte[] data) {
        String[] parts = new String(data, StandardCharsets.UTF_8).split("\u0000", 5);
        String command = parts[0];
        Hooks.Values values = new Hooks.Values(part(parts, 1, "cv0"), part(parts, 2, "site-b"),
                part(parts, 3, "192.0.2.2:51820"), part(parts, 4, "192.0.2.1:51820"));
        List<String> words;
        try {
            words = HookCommand.split(command);
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).matches("unbalanced [\"'] quote");
            return;
        }
        assertThat(HookCommand.split(quote(words))).as("quoted back and split again").isEqualTo(words);

        List<String> argv = new ArrayList<>();
        for (String word : words) {
            argv.add(values.substitute(word));
        }
        assertThat(argv).hasSameSizeAs(words);
        String[] valueList = {values.dev(), values.name(), values.peer(), values.local()};
        for (int i = 0; i < words.size(); i++) {
            assertThat(argv.get(i)).as("word %d: %s", i, words.get(i)).isEqualTo(substituteOnce(words.get(i), valueList));
        }
        // Whatever the values hold (spaces, quotes), the command keeps its words: what the daemon runs is argv.
        assertThat(HookCommand.split(quote(argv))).isEqualTo(argv);
    }

    private static String part(String[] parts, int i, String otherwise) {
        return parts.length > i ? parts[i] : otherwise;
    }

    /** The reference: one pass from left to right, each placeholder met in the word replaced by its value. */
    private static String substituteOnce(String word, String[] values) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        outer:
        while (i < word.length()) {
            for (int p = 0; p < PLACEHOLDERS.length; p++) {
                if (word.startsWith(PLACEHOLDERS[p], i)) {
                    out.append(values[p]);
                    i += PLACEHOLDERS[p].length();
                    continue outer;
                }
            }
            out.append(word.charAt(i++));
        }
        return out.toString();
    }

    /** Each word in '…' (a ' inside as '\''), separated by spaces: how a user writes any word. */
    private static String quote(List<String> words) {
        StringBuilder out = new StringBuilder();
        for (String w : words) {
            if (out.length() > 0) {
                out.append(' ');
            }
            out.append('\'').append(w.replace("'", "'\\''")).append('\'');
        }
        return out.toString();
    }
}
