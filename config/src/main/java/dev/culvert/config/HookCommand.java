package dev.culvert.config;

import java.util.ArrayList;
import java.util.List;

/**
 * How an {@code up}/{@code down} command line is split into words: whitespace separates; '…' and "…"
 * group; a backslash escapes the next character (outside quotes, and inside "…"). No shell ever
 * sees the line. Used both to validate the config and to run the hook, so they cannot disagree.
 */
public final class HookCommand {
    private HookCommand() {}

    /**
     * @throws IllegalArgumentException "unbalanced ' quote" (or ") if a quote is not closed
     */
    public static List<String> split(String command) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else if (c == '\\' && quote == '"' && i + 1 < command.length()) {
                    word.append(command.charAt(++i));
                } else {
                    word.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (c == '\\' && i + 1 < command.length()) {
                word.append(command.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("unbalanced " + quote + " quote");
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }
}
