package dev.culvert.it.containers;

import com.github.dockerjava.api.model.Network.Ipam;
import dev.culvert.it.harness.SafeAddresses;
import org.testcontainers.containers.Network;

/**
 * The underlay joining the sites: a Docker bridge network with an explicit subnet from the documentation
 * range (never one Docker would pick for itself), removed on {@link #close()}.
 *
 * <p>The engine gives the bridge itself the first address ({@value #GATEWAY}); sites take fixed addresses from
 * {@link #address(int)}, so a restarted container keeps its address.
 */
final class SiteNetwork implements AutoCloseable {

    /** RFC 5737 TEST-NET-1, first /27: room for the gateway and a handful of sites. */
    static final String SUBNET = "192.0.2.0/27";
    static final String GATEWAY = "192.0.2.1";
    private static final String PREFIX = "192.0.2.";
    private static final int FIRST_HOST = 2;
    private static final int LAST_HOST = 30;

    private final Network network;

    private SiteNetwork(Network network) {
        this.network = network;
    }

    /** A new network; Docker creates it when the first container joins. */
    static SiteNetwork create() {
        SafeAddresses.requireUnderlay(SUBNET);
        Network network = Network.builder()
                .driver("bridge")
                .createNetworkCmdModifier(cmd -> cmd.withIpam(
                        new Ipam().withConfig(new Ipam.Config().withSubnet(SUBNET).withGateway(GATEWAY))))
                .build();
        return new SiteNetwork(network);
    }

    /** The address of host number {@code host} (2..30) on this network. */
    static String address(int host) {
        if (host < FIRST_HOST || host > LAST_HOST) {
            throw new IllegalArgumentException("host number " + host + " is outside " + FIRST_HOST + ".." + LAST_HOST
                    + " of " + SUBNET);
        }
        return SafeAddresses.requireUnderlay(PREFIX + host);
    }

    Network network() {
        return network;
    }

    @Override
    public void close() {
        network.close();
    }
}
