package dev.culvert.packaging.man;

import dev.culvert.packaging.man.ReferenceConf.Document;
import dev.culvert.packaging.man.ReferenceConf.Entry;
import java.util.ArrayList;
import java.util.List;

/**
 * culvert.conf(5), generated from {@code reference.conf}: its opening comment becomes the
 * description, each key becomes a tagged paragraph with its default and its comment, and the
 * example config that the package installs is shown verbatim. The template block that documents a
 * tunnel's keys ({@value #TEMPLATE}) is shown under the paths an operator writes,
 * {@code culvert.tunnels.NAME.*}.
 */
final class ConfManPage {

    /** The top-level block of reference.conf that documents one tunnel's keys. */
    static final String TEMPLATE = "culvert-tunnel-template";

    /** Where a tunnel's keys live in a real config. */
    static final String TUNNEL_PREFIX = "culvert.tunnels.NAME";

    private static final int SECTION = 5;
    private static final String MANUAL = "File Formats";

    private ConfManPage() {
    }

    /**
     * Renders the page.
     *
     * @param reference   the parsed reference.conf
     * @param version     the package version for the footer
     * @param example     the text of the example config the package installs
     * @param examplePath where the package installs it
     * @param staticRoff  hand-written sections appended at the end
     */
    static Roff render(Document reference, String version, String example, String examplePath, String staticRoff) {
        Roff roff = new Roff().title("culvert.conf", SECTION, "culvert " + version, MANUAL);
        roff.section("name").text("culvert.conf - configuration of the Culvert VPN daemon");
        roff.section("synopsis").text("/etc/culvert/NAME.conf");
        roff.section("description");
        preamble(roff, reference.preamble());

        List<Entry> daemonKeys = new ArrayList<>();
        List<Entry> tunnelKeys = new ArrayList<>();
        String tunnelIntro = "";
        for (Entry entry : reference.entries()) {
            if (entry.path().get(0).equals(TEMPLATE)) {
                if (entry.path().size() == 1) {
                    tunnelIntro = entry.comment();
                } else {
                    tunnelKeys.add(entry);
                }
            } else {
                daemonKeys.add(entry);
            }
        }
        roff.section("daemon keys");
        keys(roff, daemonKeys, null);
        roff.section("tunnel keys");
        if (!tunnelIntro.isBlank()) {
            roff.paragraph(unwrap(tunnelIntro));
        }
        keys(roff, tunnelKeys, TUNNEL_PREFIX);

        roff.section("example");
        roff.paragraph("The package installs this example as " + examplePath + "; copy it to NAME.conf and edit it:");
        roff.literal(example);
        return roff.raw(staticRoff);
    }

    private static void keys(Roff roff, List<Entry> entries, String templatePrefix) {
        String previousKey = null;
        for (Entry entry : entries) {
            String key = templatePrefix == null ? entry.key()
                    : templatePrefix + "." + String.join(".", entry.path().subList(1, entry.path().size()));
            if (entry.block()) {
                if (!entry.comment().isBlank()) {
                    roff.tagged(Roff.bold(key + " { ... }"), unwrap(entry.comment()));
                }
                continue;
            }
            String text = unwrap(entry.comment());
            if (text.isEmpty()) {
                // A key right below another shares its comment (e.g. "up" and "down").
                text = previousKey == null ? "(no description)" : "See " + previousKey + " above.";
            }
            roff.tagged(Roff.bold(key) + " = " + Roff.italic(entry.defaultValue()), text);
            previousKey = key;
        }
    }

    /** The opening comment: running text becomes paragraphs, "- " lines become bullets. */
    private static void preamble(Roff roff, String preamble) {
        StringBuilder paragraph = new StringBuilder();
        boolean inBullet = false;
        for (String line : preamble.split("\n")) {
            String trimmed = line.strip();
            boolean bullet = trimmed.startsWith("- ");
            if (bullet || (!inBullet && paragraph.length() > 0 && trimmed.isEmpty())) {
                flush(roff, paragraph, inBullet);
                inBullet = bullet;
                paragraph.append(bullet ? trimmed.substring(2) : "");
            } else if (!trimmed.isEmpty()) {
                if (inBullet && !line.startsWith(" ")) {
                    flush(roff, paragraph, true);
                    inBullet = false;
                }
                paragraph.append(paragraph.length() == 0 ? "" : " ").append(trimmed);
            }
        }
        flush(roff, paragraph, inBullet);
    }

    private static void flush(Roff roff, StringBuilder text, boolean bullet) {
        if (text.length() > 0) {
            if (bullet) {
                roff.bullet(text.toString());
            } else {
                roff.paragraph(text.toString());
            }
        }
        text.setLength(0);
    }

    /** Comment lines joined into one paragraph (roff refills them anyway). */
    private static String unwrap(String comment) {
        return String.join(" ", comment.strip().split("\\s*\n\\s*"));
    }
}
