package dev.culvert.daemon;

import dev.culvert.protocol.testing.MemoryNetwork;

import java.net.InetSocketAddress;

/** {@link TwinPlatform}s for tests outside this package (the command line's): one site on its own memory network. */
public final class TwinHosts {
    private TwinHosts() {}

    /** A fresh in-memory host at {@code underlay}: memory devices, recorded ip(8) commands, memory transports. */
    public static Platform at(InetSocketAddress underlay) {
        return new TwinPlatform(new MemoryNetwork(), underlay);
    }
}
