package dev.culvert.daemon.tun;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.config.DeviceMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TunErrorsTest {

    @ParameterizedTest(name = "errno {0}")
    @CsvSource(delimiter = '|', textBlock = """
        2  | cannot open /dev/net/tun: no such device (load the tun module: modprobe tun)
        19 | cannot open /dev/net/tun: no such device (load the tun module: modprobe tun)
        6  | cannot open /dev/net/tun: no such device (load the tun module: modprobe tun)
        1  | creating tun device 'cv-x' needs CAP_NET_ADMIN (run as root or grant CAP_NET_ADMIN)
        13 | creating tun device 'cv-x' needs CAP_NET_ADMIN (run as root or grant CAP_NET_ADMIN)
        16 | device 'cv-x' already exists and was not created by this Culvert (`ip tuntap add`, another program or another Culvert made it): if it is a persistent tun device meant for this tunnel, set device.existing = true to adopt it; otherwise choose another device.name, or delete it with `ip link del cv-x`
        22 | cannot create tun device 'cv-x': invalid name, or an interface of another kind already has that name
        24 | cannot open /dev/net/tun for device 'cv-x': too many open files (raise the open-files limit, LimitNOFILE=)
        12 | cannot create tun device 'cv-x': out of memory
        95 | cannot create tun device 'cv-x': errno 95
        """)
    void mapsErrnoToAnOperatorReadableLine(int errno, String message) {
        TunException e = TunErrors.openFailed("cv-x", DeviceMode.TUN, errno);

        assertThat(e).hasMessage(message);
        assertThat(e.getMessage()).doesNotContain("\n");
    }

    @ParameterizedTest(name = "errno {0}")
    @CsvSource(delimiter = '|', textBlock = """
        16 | cannot adopt device 'cv-x': another process has it open (another Culvert?)
        22 | cannot adopt device 'cv-x': it is not a tun device (device.mode), or it was made multi_queue
        1  | creating tun device 'cv-x' needs CAP_NET_ADMIN (run as root or grant CAP_NET_ADMIN)
        """)
    void mapsErrnoOfAnAdoptionToAnOperatorReadableLine(int errno, String message) {
        assertThat(TunErrors.adoptFailed("cv-x", DeviceMode.TUN, errno)).hasMessage(message);
    }

    @org.junit.jupiter.api.Test
    void aMissingDeviceToAdoptSaysHowToMakeIt() {
        assertThat(TunErrors.nothingToAdopt("cv-l2", DeviceMode.TAP)).hasMessage("device 'cv-l2' does not exist, "
                + "and device.existing = true only adopts an existing device: create it (ip tuntap add dev cv-l2 "
                + "mode tap) or set device.existing = false");
    }

    @ParameterizedTest
    @CsvSource({"1", "13"})
    void namesTapDevicesAsTap(int errno) {
        assertThat(TunErrors.openFailed("cv-l2", DeviceMode.TAP, errno))
                .hasMessageStartingWith("creating tap device 'cv-l2' needs CAP_NET_ADMIN");
    }
}
