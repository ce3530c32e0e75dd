package dev.culvert.daemon;

/** The UDP transport keeps the transport contract with offloads off (one datagram per sendmmsg entry). */
class UdpTransportPlainTest extends UdpTransportTest {
    @Override
    protected boolean offload() {
        return false;
    }
}
