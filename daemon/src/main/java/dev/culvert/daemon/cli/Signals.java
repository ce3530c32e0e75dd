package dev.culvert.daemon.cli;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGTERM and SIGINT become an orderly stop (devices removed, exit 0) instead of the JVM's default
 * exit 143/130; SIGHUP a reload. Actions run on their own threads, never on the signal dispatcher.
 */
final class Signals {
    private Signals() {}

    /**
     * SIGHUP runs {@code action} on its own thread (a reload, which may take a while).
     *
     * @return false if SIGHUP was ignored when the JVM started (e.g. under {@code nohup}): the JVM then keeps
     *         it ignored (HotSpot's JVM_RegisterSignal), and a SIGHUP reloads nothing
     */
    static boolean onReload(Runnable action) {
        SignalHandler previous = Signal.handle(new Signal("HUP"), signal -> {
            Thread t = new Thread(action, "culvert-reload");
            t.setDaemon(true);
            t.start();
        });
        return previous != SignalHandler.SIG_IGN;
    }

    static void onTerminate(Runnable action) {
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                Thread t = new Thread(action, "culvert-stop");
                t.setDaemon(false);
                t.start();
            });
        }
    }
}
