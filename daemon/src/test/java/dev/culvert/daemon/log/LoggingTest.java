package dev.culvert.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A new-user test: with {@code culvert.log-level = debug} the log flooded with the JDK's own lines
 * ({@code java.lang.ProcessBuilder} at every hook run on Temurin 25). The level is Culvert's loggers' only.
 */
class LoggingTest {
    @AfterEach
    void back() {
        Logging.configure(Logging.LogLevel.INFO);
    }

    @Test
    void debugAppliesToCulvertsLoggersNotTheJdks() {
        Logging.configure(Logging.LogLevel.DEBUG);
        assertThat(Logger.getLogger("culvert.hooks").isLoggable(Level.FINE)).isTrue();
        assertThat(Logger.getLogger("dev.culvert.daemon.tun.TunChannel").isLoggable(Level.FINE)).isTrue();
        assertThat(Logger.getLogger("java.lang.ProcessBuilder").isLoggable(Level.FINE)).isFalse();
        assertThat(Logger.getLogger("sun.net.www.protocol.http.HttpURLConnection").isLoggable(Level.FINE)).isFalse();
        assertThat(Logger.getLogger("java.lang.ProcessBuilder").isLoggable(Level.INFO)).isTrue();
        assertThat(Logger.getLogger("io.netty.channel.DefaultChannelId").isLoggable(Level.FINE)).isFalse();
    }

    @Test
    void aCoarserLevelAppliesToEveryone() {
        Logging.configure(Logging.LogLevel.WARN);
        assertThat(Logger.getLogger("culvert.tunnel").isLoggable(Level.INFO)).isFalse();
        assertThat(Logger.getLogger("java.lang.ProcessBuilder").isLoggable(Level.INFO)).isFalse();
        assertThat(Logger.getLogger("io.netty.util.ResourceLeakDetector").isLoggable(Level.WARNING)).isTrue();
        Logging.configure(Logging.LogLevel.TRACE);
        assertThat(Logger.getLogger("culvert.udp").isLoggable(Level.FINEST)).isTrue();
        assertThat(Logger.getLogger("io.netty.channel").isLoggable(Level.FINEST)).isTrue();
        assertThat(Logger.getLogger("java.lang.ProcessBuilder").isLoggable(Level.FINE)).isFalse();
    }
}
