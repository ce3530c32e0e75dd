package dev.culvert.packaging.man;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Build-time entry point (run by exec-maven-plugin in the packaging module): writes culvert.8.gz and
 * culvert.conf.5.gz into an output folder.
 *
 * <pre>
 * ManPages VERSION REFERENCE_CONF EXAMPLE_CONF STATIC_DIR OUT_DIR
 * </pre>
 *
 * STATIC_DIR holds the hand-written sections {@code culvert.8.roff} and {@code culvert.conf.5.roff}.
 */
public final class ManPages {

    /** The picocli root command of the daemon; loaded by name so this build step only needs it at run time. */
    static final String MAIN_CLASS = "dev.culvert.daemon.cli.Main";

    /** Where the package installs the example config (shown in culvert.conf(5)). */
    static final String EXAMPLE_INSTALLED_AS = "/etc/culvert/example.conf.sample";

    private ManPages() {
    }

    public static void main(String[] args) throws ReflectiveOperationException {
        if (args.length != 5) {
            throw new IllegalArgumentException(
                    "usage: ManPages VERSION REFERENCE_CONF EXAMPLE_CONF STATIC_DIR OUT_DIR (got " + args.length + " arguments)");
        }
        String version = args[0];
        Path reference = Path.of(args[1]);
        Path example = Path.of(args[2]);
        Path staticDir = Path.of(args[3]);
        Path out = Path.of(args[4]);

        CommandSpec cli = new CommandLine(Class.forName(MAIN_CLASS).getDeclaredConstructor().newInstance())
                .getCommandSpec();
        CliManPage.render(cli, version, read(staticDir.resolve("culvert.8.roff")))
                .writeGzip(out.resolve("man8/culvert.8.gz"));

        ReferenceConf.Document document = ReferenceConf.parse(read(reference), reference.toString());
        ConfManPage.render(document, version, read(example), EXAMPLE_INSTALLED_AS,
                        read(staticDir.resolve("culvert.conf.5.roff")))
                .writeGzip(out.resolve("man5/culvert.conf.5.gz"));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
