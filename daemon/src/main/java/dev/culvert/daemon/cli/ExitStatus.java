package dev.culvert.daemon.cli;

/**
 * The exit statuses of {@code culvert}, as {@code sysexits.h} (BSD, also glibc's {@code <sysexits.h>}) names
 * the one that is not 0, 1 or 2. The packaged unit does not restart on {@link #CONFIG}
 * ({@code RestartPreventExitStatus=78}): a restart cannot fix a file.
 */
final class ExitStatus {
    /** Done, or stopped by SIGTERM/SIGINT. */
    static final int OK = 0;
    /** A failure a later attempt may not see again (a device or socket the host refused just now). */
    static final int FAILURE = 1;
    /** A command line picocli rejected. */
    static final int USAGE = 2;
    /**
     * EX_CONFIG (78): the configuration is invalid, a file it names cannot be read (by the user asked about),
     * or it asks for something another program holds (the metrics port): nothing changes until someone edits
     * a file, its owner or mode, or the other program.
     */
    static final int CONFIG = 78;

    private ExitStatus() {}
}
