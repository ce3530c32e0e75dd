package dev.culvert.packaging.man;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * A small writer of man(7) roff: section headings, tagged paragraphs, literal blocks, and the
 * escaping that keeps text from being read as requests. Output is gzip'ed with a zero timestamp,
 * so the same input always gives the same bytes (reproducible packages).
 */
final class Roff {

    /** Characters above this are written as {@code \[uXXXX]}. */
    private static final int ASCII_MAX = 0x7F;

    private final StringBuilder out = new StringBuilder();

    /** {@code .TH}: title, section, the package version shown in the footer, and the manual's name. */
    Roff title(String name, int section, String version, String manual) {
        out.append(".TH ").append(quote(name.toUpperCase())).append(' ').append(section)
                .append(" \"\" ").append(quote(version)).append(' ').append(quote(manual)).append('\n');
        return this;
    }

    /** {@code .SH}: a section heading. */
    Roff section(String heading) {
        out.append(".SH ").append(quote(heading.toUpperCase())).append('\n');
        return this;
    }

    /** {@code .SS}: a subsection heading. */
    Roff subsection(String heading) {
        out.append(".SS ").append(quote(heading)).append('\n');
        return this;
    }

    /** {@code .PP} and a paragraph of plain text. */
    Roff paragraph(String text) {
        out.append(".PP\n").append(escapeLines(text)).append('\n');
        return this;
    }

    /** Plain text continuing the current paragraph. */
    Roff text(String text) {
        out.append(escapeLines(text)).append('\n');
        return this;
    }

    /** {@code .TP}: a tagged paragraph whose tag is already roff (see {@link #bold}, {@link #italic}). */
    Roff tagged(String roffTag, String text) {
        out.append(".TP\n").append(roffTag).append('\n').append(escapeLines(text)).append('\n');
        return this;
    }

    /** {@code .IP \(bu}: a bullet item. */
    Roff bullet(String text) {
        out.append(".IP \\(bu 2\n").append(escapeLines(text)).append('\n');
        return this;
    }

    /** A literal block, indented, in a fixed-width font, no filling. */
    Roff literal(String text) {
        out.append(".PP\n.RS 4\n.EX\n").append(escapeLines(text.stripTrailing())).append("\n.EE\n.RE\n");
        return this;
    }

    /** Roff written by hand (static sections kept next to the generator), appended as is. */
    Roff raw(String roff) {
        out.append(roff.endsWith("\n") ? roff : roff + "\n");
        return this;
    }

    /** The page as text. */
    String render() {
        return out.toString();
    }

    /** Writes the page to {@code file}, gzip'ed (maximum compression, no name, zero mtime). */
    void writeGzip(Path file) {
        byte[] page = render().getBytes(StandardCharsets.UTF_8);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            ByteArrayOutputStream gz = new ByteArrayOutputStream();
            try (OutputStream zip = new BestGzip(gz)) {
                zip.write(page);
            }
            Files.write(file, gz.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write man page " + file, e);
        }
    }

    /** {@code \fBtext\fR}. */
    static String bold(String text) {
        return "\\fB" + escape(text) + "\\fR";
    }

    /** {@code \fItext\fR}. */
    static String italic(String text) {
        return "\\fI" + escape(text) + "\\fR";
    }

    /**
     * Escapes one piece of inline text: backslashes, hyphens (so option names render and search as
     * ASCII minus signs), and anything beyond ASCII.
     */
    static String escape(String text) {
        StringBuilder b = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (c == '\\') {
                b.append("\\e");
            } else if (c == '-') {
                b.append("\\-");
            } else if (c > ASCII_MAX) {
                b.append(String.format("\\[u%04X]", c)); // groff's named Unicode character: no input encoding needed
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }

    /** Escapes a block of text line by line; a line starting with '.' or '\'' gets a zero-width guard. */
    static String escapeLines(String text) {
        StringBuilder b = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            if (b.length() > 0) {
                b.append('\n');
            }
            String escaped = escape(line);
            if (escaped.startsWith(".") || escaped.startsWith("'")) {
                b.append("\\&");
            }
            b.append(escaped);
        }
        return b.toString();
    }

    private static String quote(String text) {
        return '"' + escape(text).replace("\"", "\\(dq") + '"';
    }

    /** {@link GZIPOutputStream} at {@link java.util.zip.Deflater#BEST_COMPRESSION}, as {@code gzip -9n}. */
    private static final class BestGzip extends GZIPOutputStream {
        BestGzip(OutputStream out) throws IOException {
            super(out);
            def.setLevel(java.util.zip.Deflater.BEST_COMPRESSION);
        }
    }
}
