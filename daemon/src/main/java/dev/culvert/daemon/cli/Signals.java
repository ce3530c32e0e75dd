package dev.culvert.daemon.cli;

import sun.misc.Signal;

/**
 * SIGTERM and SIGINT become an orderly stop (devices removed, exit 0) instead of the JVM's default
 * exit 143/130; SIGHUP a reload. Actions run on their own threads, never on the signal dispatcher.
 */
final class Signals {
    private Signals() {}

    /** SIGHUP runs {@code action} on its own thread (a reload, which may take a while). */
    static void onReload(Runnable action) {
        Signal.handle(new Signal("HUP"), signal -> {
            Thread t = new Thread(action, "culvert-reload");
            t.setDaemon(true);
            t.start();
        });
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
