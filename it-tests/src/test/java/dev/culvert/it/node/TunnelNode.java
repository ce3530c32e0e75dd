package dev.culvert.it.node;

import dev.culvert.it.harness.Netns;

/** One side of a running tunnel, whatever implements it (Culvert or wireguard-go). */
public interface TunnelNode extends AutoCloseable {

    /** The namespace the node runs in. */
    Netns netns();

    /** Its public key, base64. */
    String publicKey();

    /** Its tunnel device's name inside {@link #netns()}. */
    String deviceName();

    /** Its tunnel address without prefix, e.g. {@code 198.18.0.1}. */
    String tunnelIp();

    /** Ends the node without checks; {@code stop()} methods of implementations check. */
    @Override
    void close();
}
