package dev.culvert.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A configuration was refused. Carries every problem found, not just the first; {@link #getMessage()} prints
 * one problem per line, ready for {@code culvert check-config} or a log.
 */
public final class ConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient List<ConfigProblem> problems;

    /** Creates an exception for these problems; there must be at least one. */
    public ConfigException(List<ConfigProblem> problems) {
        super(render(problems));
        this.problems = List.copyOf(problems);
    }

    /** Every problem found, in file order. */
    public List<ConfigProblem> problems() {
        return problems;
    }

    private static String render(List<ConfigProblem> problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        return problems.stream().map(ConfigProblem::toString).collect(Collectors.joining("\n"));
    }
}
