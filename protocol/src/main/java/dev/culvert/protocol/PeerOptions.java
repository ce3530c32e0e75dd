package dev.culvert.protocol;

import java.net.InetSocketAddress;

/**
 * How one peer is configured in the engine.
 *
 * @param endpoint where to send until the peer's address is learned; null on a server that waits
 * @param persistentKeepaliveNanos 0 = off
 * @param mtu the tunnel device's MTU: larger outbound packets are dropped, padding stops here
 */
public record PeerOptions(AllowedIps allowedIps, InetSocketAddress endpoint, long persistentKeepaliveNanos,
                          int mtu, InboundSink sink) {}
