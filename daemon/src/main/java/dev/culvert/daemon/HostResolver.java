package dev.culvert.daemon;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Looks a host name up (DNS, /etc/hosts); may block, so never called on an event loop. */
@FunctionalInterface
interface HostResolver {
    /**
     * @return the name's address now
     * @throws UnknownHostException if the name does not resolve now
     */
    InetAddress resolve(String host) throws UnknownHostException;
}
