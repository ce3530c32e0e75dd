package dev.culvert.config;

import java.util.Collection;
import java.util.Optional;

/** "Did you mean ...?" for misspelt keys: the closest known key by edit distance, if it is close enough. */
final class Suggestions {

    /** Suggest only keys at most this many edits away (insert, delete, substitute, swap neighbours). */
    private static final int MAX_EDITS = 2;

    private Suggestions() {
    }

    /** The known key closest to {@code typo}, if it is a plausible misspelling of it. */
    static Optional<String> closest(String typo, Collection<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int distance = distance(typo, candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        // A short key needs a proportionally small distance: 'ab' is not a misspelling of 'mtu'.
        boolean plausible = best != null && bestDistance <= MAX_EDITS && bestDistance * 2 < best.length();
        return plausible ? Optional.of(best) : Optional.empty();
    }

    /** Optimal string alignment distance (Levenshtein plus transposition of adjacent characters). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
