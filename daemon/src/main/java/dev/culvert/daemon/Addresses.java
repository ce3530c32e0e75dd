package dev.culvert.daemon;

import io.netty.channel.socket.SocketProtocolFamily;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Formats socket addresses the way operators write them: 192.0.2.1:51820, [2001:db8::1]:51820. */
public final class Addresses {
    /** {@code 0.0.0.0}. */
    static final InetAddress ANY4 = literal(new byte[4]);
    /** {@code ::}, the wildcard of both families. */
    public static final InetAddress ANY6 = literal(new byte[16]);

    private Addresses() {}

    private static InetAddress literal(byte[] address) {
        try {
            return InetAddress.getByAddress(address);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    public static String format(InetSocketAddress address) {
        if (address == null) {
            return "(none)";
        }
        String host = address.getAddress() != null ? io.netty.util.NetUtil.toAddressString(address.getAddress())
                : address.getHostString();
        return (address.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /**
     * The family of the socket to bind to {@code local} (issue 11 item 10): {@code INET} (IPv4 only) for an IPv4
     * address, {@code 0.0.0.0} included; null for anything else, which leaves Netty's default: an IPv6 socket where
     * the host has IPv6 ({@code [::]} then takes both families, Linux's {@code net.ipv6.bindv6only} being 0 by
     * default), else IPv4. Netty's default alone put {@code 0.0.0.0} on an IPv6 socket, listening on IPv6 too.
     */
    public static SocketProtocolFamily socketFamily(InetSocketAddress local) {
        return local != null && local.getAddress() instanceof Inet4Address ? SocketProtocolFamily.INET : null;
    }

    /**
     * Where to bind for {@code local}: itself, except the IPv6 wildcard on a host without IPv6 (Netty then opens
     * IPv4 sockets only; {@code io.netty.channel.unix.Socket#isIPv6Preferred}), where {@code 0.0.0.0} at the same
     * port is the "every address" that exists.
     */
    public static InetSocketAddress bindable(InetSocketAddress local) {
        if (local != null && local.getAddress() instanceof Inet6Address && local.getAddress().isAnyLocalAddress()
                && !io.netty.channel.unix.Socket.isIPv6Preferred()) {
            return new InetSocketAddress(ANY4, local.getPort());
        }
        return local;
    }
}
