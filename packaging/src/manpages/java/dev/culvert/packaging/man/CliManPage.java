package dev.culvert.packaging.man;

import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * culvert(8), generated from the picocli model of {@code dev.culvert.daemon.cli.Main}: the synopsis,
 * every command, option and parameter come from the same annotations that parse the command line,
 * so the page cannot drift from the program. Sections that are about the installation rather than the
 * command line (files, signals, systemd) are hand-written roff appended after the generated ones.
 */
final class CliManPage {

    private static final int SECTION = 8;
    private static final String MANUAL = "System Administration";

    private CliManPage() {
    }

    /**
     * Renders the page.
     *
     * @param root        the {@code culvert} command as picocli sees it
     * @param version     the package version for the footer
     * @param staticRoff  hand-written sections appended at the end
     */
    static Roff render(CommandSpec root, String version, String staticRoff) {
        Roff roff = new Roff().title(root.name(), SECTION, root.name() + " " + version, MANUAL);
        roff.section("name").text(root.name() + " - " + firstLine(root));

        roff.section("synopsis");
        for (CommandLine sub : subcommands(root).values()) {
            roff.text(synopsis(sub.getCommandSpec())).raw(".br");
        }

        roff.section("description");
        paragraphs(roff, root.usageMessage().description());
        roff.paragraph("Each command below is run as " + root.name() + " COMMAND [OPTIONS]. Options common "
                + "to every command:");
        options(roff, root.options());

        roff.section("commands");
        for (Map.Entry<String, CommandLine> entry : subcommands(root).entrySet()) {
            CommandSpec sub = entry.getValue().getCommandSpec();
            roff.subsection(root.name() + " " + entry.getKey());
            paragraphs(roff, sub.usageMessage().description());
            for (PositionalParamSpec param : sub.positionalParameters()) {
                if (!param.hidden()) {
                    roff.tagged(Roff.italic(param.paramLabel()), plain(String.join(" ", param.description())));
                }
            }
            // -h/--help and -V/--version are inherited by every command (scope INHERIT): listed once, above
            options(roff, sub.options().stream().filter(o -> !o.usageHelp() && !o.versionHelp()).toList());
        }
        return roff.raw(staticRoff);
    }

    private static Map<String, CommandLine> subcommands(CommandSpec root) {
        return root.subcommands();
    }

    private static void options(Roff roff, List<OptionSpec> options) {
        for (OptionSpec option : options) {
            if (option.hidden()) {
                continue;
            }
            StringBuilder tag = new StringBuilder();
            for (String name : option.names()) {
                tag.append(tag.length() == 0 ? "" : ", ").append(Roff.bold(name));
            }
            if (option.typeInfo().isBoolean() || option.arity().max() == 0) {
                roff.tagged(tag.toString(), plain(String.join(" ", option.description())));
            } else {
                roff.tagged(tag + " " + Roff.italic(option.paramLabel()), plain(String.join(" ", option.description())));
            }
        }
    }

    /** Description lines as paragraphs; a {@code %n} inside one (picocli's line break) starts a new one. */
    private static void paragraphs(Roff roff, String[] description) {
        for (String line : description) {
            for (String paragraph : plain(line).split("\n")) {
                if (!paragraph.isBlank()) {
                    roff.paragraph(paragraph.strip());
                }
            }
        }
    }

    /** picocli descriptions are format strings: {@code %n} is a line break, {@code %%} a percent sign. */
    private static String plain(String description) {
        return description.replace("%n", "\n").replace("%%", "%");
    }

    /** picocli's own synopsis line for a command, without colours, e.g. {@code culvert run -c=FILE [--log-level=LEVEL]}. */
    private static String synopsis(CommandSpec spec) {
        return new Help(spec, Help.defaultColorScheme(Help.Ansi.OFF)).synopsis(0).strip();
    }

    private static String firstLine(CommandSpec spec) {
        String[] description = spec.usageMessage().description();
        String first = description.length == 0 ? "" : description[0];
        return first.endsWith(".") ? first.substring(0, first.length() - 1) : first;
    }
}
