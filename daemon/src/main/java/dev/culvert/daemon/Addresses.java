package dev.culvert.daemon;

import java.net.Inet6Address;
import java.net.InetSocketAddress;

/** Formats socket addresses the way operators write them: 192.0.2.1:51820, [2001:db8::1]:51820. */
public final class Addresses {
    private Addresses() {}

    public static String format(InetSocketAddress address) {
        if (address == null) {
            return "(none)";
        }
        String host = address.getAddress() != null ? io.netty.util.NetUtil.toAddressString(address.getAddress())
                : address.getHostString();
        return (address.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
