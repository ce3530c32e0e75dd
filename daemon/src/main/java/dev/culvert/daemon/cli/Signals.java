package dev.culvert.daemon.cli;

import sun.misc.Signal;

/**
 * SIGTERM and SIGINT become an orderly stop (devices removed, exit 0) instead of the JVM's default
 * exit 143/130. The action runs on its own thread, never on the signal dispatcher.
 */
final class Signals {
    private Signals() {}

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
