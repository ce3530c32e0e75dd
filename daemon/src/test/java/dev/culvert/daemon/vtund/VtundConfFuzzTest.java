package dev.culvert.daemon.vtund;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.culvert.config.HookCommand;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Jazzer fuzz target for {@code culvert import-vtund}: any bytes as a vtund.conf. The contract: the parser throws
 * nothing but {@link VtundConf.ParseException} (its message {@code fuzz.conf:LINE: ...} with a line in the file);
 * planning throws nothing but its usage and nothing-to-import exceptions, for a server and a client, modern and
 * legacy; the rendered config is HOCON with one tunnel per planned tunnel, and each hook line splits
 * ({@code HookCommand.split}) into the words vtund's {@code split_args} would give ({@link HookTranslation}).
 *
 * <p>Input: the file's bytes, read as ISO-8859-1 as {@link VtundConf#read} reads them.
 */
class VtundConfFuzzTest {
    private static final Path FILE = Path.of("fuzz.conf");

    @FuzzTest(maxDuration = "30s")
    void parseAndImport(byte[] data) {
        String text = new String(data, StandardCharsets.ISO_8859_1);
        long lines = text.chars().filter(c -> c == '\n').count() + 1;
        VtundConf conf;
        try {
            conf = VtundConf.parse(text, FILE);
        } catch (VtundConf.ParseException e) {
            assertThat(e.line()).isBetween(1, (int) lines);
            assertThat(e.getMessage()).startsWith("fuzz.conf:" + e.line() + ": ");
            return;
        }
        for (boolean legacy : new boolean[] {false, true}) {
            for (VtundImport.Role role : VtundImport.Role.values()) {
                VtundImport.Plan plan;
                try {
                    plan = VtundImport.plan(new VtundImport.Request(conf, List.of(), legacy, role,
                            role == VtundImport.Role.CLIENT ? "192.0.2.1" : null, Map.of(), Map.of(), Map.of(),
                            "site"),
                            "/nonexistent-m12");
                } catch (VtundImport.UsageException | VtundImport.NothingToImportException e) {
                    continue;
                }
                String hocon = VtundImport.render(plan);
                Config parsed = ConfigFactory.parseString(hocon);
                assertThat(parsed.getObject("culvert.tunnels")).hasSameSizeAs(plan.tunnels());
                for (VtundImport.Tunnel t : plan.tunnels()) {
                    for (String hook : t.up) {
                        assertThat(HookCommand.split(hook)).isNotEmpty();
                    }
                }
            }
        }
        // vtund's split_args and Culvert's quoting agree on every up/down line's words
        for (VtundConf.Session s : conf.sessions()) {
            for (VtundConf.Command c : s.up()) {
                if (c.args() == null) {
                    continue;
                }
                List<String> words = HookTranslation.split(HookTranslation.substitute(c.args())).stream()
                        .map(w -> HookTranslation.join(w, p -> "%" + p.name().toLowerCase() + "%")).toList();
                String line = String.join(" ", words.stream().map(HookTranslation::quote).toList());
                assertThat(HookCommand.split(line)).isEqualTo(words);
            }
        }
    }
}
