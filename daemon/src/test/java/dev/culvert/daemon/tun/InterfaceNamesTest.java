package dev.culvert.daemon.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InterfaceNamesTest {

    @ParameterizedTest
    @ValueSource(strings = {"cv-site-b", "cvt0", "a", "fifteen-chars-x", "tun_1.2"})
    void acceptsKernelValidNames(String name) throws TunException {
        assertThat(InterfaceNames.check(name)).isEqualTo(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "sixteen-chars-xx", "a/b", "a:b", "tun%d", "a b", "a\tb"})
    void rejectsNamesTheKernelWouldRefuseOrRewrite(String name) {
        assertThatThrownBy(() -> InterfaceNames.check(name))
                .isInstanceOf(TunException.class)
                .hasMessageStartingWith("invalid device name '");
    }

    @org.junit.jupiter.api.Test
    void countsBytesNotCharacters() {
        String eightTwoByteChars = "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9";
        assertThatThrownBy(() -> InterfaceNames.check(eightTwoByteChars))
                .hasMessageContaining("longer than 15 bytes");
    }
}
