package dev.culvert.daemon;

import dev.culvert.config.HookCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HooksTest {
    private static final Hooks.Values VALUES = new Hooks.Values("cv-b", "site-b", "203.0.113.7", "198.18.0.1");

    @Test
    void splitsLikeAShellWithoutOne() {
        assertThat(HookCommand.split("ip link set %dev% master br0")).containsExactly("ip", "link", "set", "%dev%", "master", "br0");
        assertThat(HookCommand.split("sh -c 'echo $CULVERT_DEV > /tmp/x'")).containsExactly("sh", "-c", "echo $CULVERT_DEV > /tmp/x");
        assertThat(HookCommand.split("a\\ b \"c d\" ''")).containsExactly("a b", "c d", "");
        assertThatThrownBy(() -> HookCommand.split("echo 'oops")).hasMessageContaining("unbalanced");
    }

    @Test
    void substitutesInsideWordsAndPassesEnvironment(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        Hooks.run("site-b", "up", List.of("sh -c 'echo \"$0 $1 $CULVERT_NAME $CULVERT_LOCAL\" > " + out + "' %dev% %peer%"),
                VALUES, Duration.ofSeconds(5), true);
        assertThat(Files.readString(out).trim()).isEqualTo("cv-b 203.0.113.7 site-b 198.18.0.1");
    }

    @Test
    void aSubstitutedValueNeverBecomesShellSyntaxOrExtraArguments(@TempDir Path dir) throws IOException {
        Path marker = dir.resolve("pwned");
        Hooks.Values hostile = new Hooks.Values("x; touch " + marker, "n", "$(touch " + marker + ")", "l");
        Path out = dir.resolve("args");
        Hooks.run("n", "up", List.of("sh -c 'printf \"%s|\" \"$@\" > " + out + "' sh %dev% %peer%"), hostile,
                Duration.ofSeconds(5), true);
        assertThat(marker).doesNotExist();
        assertThat(Files.readString(out)).isEqualTo("x; touch " + marker + "|$(touch " + marker + ")|");
    }

    @Test
    void upHookFailureIsThrownWithItsExitCodeDownHookFailureOnlyLogged() throws IOException {
        assertThatThrownBy(() -> Hooks.run("t", "up", List.of("sh -c 'exit 3'"), VALUES, Duration.ofSeconds(5), true))
                .hasMessageContaining("exit code 3").hasMessageContaining("tunnel t: up hook");
        Hooks.run("t", "down", List.of("sh -c 'exit 4'"), VALUES, Duration.ofSeconds(5), false);
    }

    @Test
    void hookThatHangsIsKilledAtItsTimeout() {
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Hooks.run("t", "up", List.of("sleep 30"), VALUES, Duration.ofMillis(300), true))
                .hasMessageContaining("timed out");
        assertThat(System.nanoTime() - t0).isLessThan(Duration.ofSeconds(5).toNanos());
    }
}
