package dev.culvert.daemon.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessCommandRunnerTest {

    private final ProcessCommandRunner runner = new ProcessCommandRunner();

    @Test
    void capturesStdoutAndExitStatus() throws Exception {
        CommandRunner.CommandResult result = runner.run(List.of("echo", "hello"), Duration.ofSeconds(10));

        assertThat(result.succeeded()).isTrue();
        assertThat(result.stdout()).isEqualTo("hello\n");
    }

    @Test
    void capturesStderrOfAFailingCommand() throws Exception {
        CommandRunner.CommandResult result =
                runner.run(List.of("ls", "/nonexistent-culvert-path"), Duration.ofSeconds(10));

        assertThat(result.succeeded()).isFalse();
        assertThat(result.firstErrorLine()).contains("/nonexistent-culvert-path");
    }

    @Test
    void argumentsAreNotInterpretedByAShell() throws Exception {
        CommandRunner.CommandResult result = runner.run(List.of("echo", "$HOME;", "`id`"), Duration.ofSeconds(10));

        assertThat(result.stdout()).isEqualTo("$HOME; `id`\n");
    }

    @Test
    void aCommandThatOverrunsItsTimeoutIsKilledAndReported() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> runner.run(List.of("sleep", "30"), Duration.ofMillis(200)))
                .isInstanceOf(IOException.class)
                .hasMessage("'sleep 30' did not finish within 200 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aMissingProgramIsReported() {
        assertThatThrownBy(() -> runner.run(List.of("culvert-no-such-program"), Duration.ofSeconds(10)))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("cannot run 'culvert-no-such-program': ");
    }
}
