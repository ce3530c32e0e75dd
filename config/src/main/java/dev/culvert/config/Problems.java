package dev.culvert.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Collects the problems of one load, so that all of them are reported together. */
final class Problems {

    private final List<ConfigProblem> found = new ArrayList<>();

    void add(ConfigProblem problem) {
        found.add(problem);
    }

    boolean isEmpty() {
        return found.isEmpty();
    }

    /**
     * Throws if anything was found: problems grouped by file in order of first appearance, then by line
     * (problems with no line last), otherwise in the order found.
     */
    void throwIfAny() throws ConfigException {
        if (found.isEmpty()) {
            return;
        }
        Map<String, Integer> fileOrder = new LinkedHashMap<>();
        for (ConfigProblem problem : found) {
            fileOrder.putIfAbsent(problem.origin(), fileOrder.size());
        }
        List<ConfigProblem> sorted = new ArrayList<>(found);
        sorted.sort(Comparator.<ConfigProblem>comparingInt(p -> fileOrder.get(p.origin()))
                .thenComparingInt(p -> p.line() > 0 ? p.line() : Integer.MAX_VALUE));
        throw new ConfigException(sorted);
    }
}
