package dev.culvert.protocol;

import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatCode;

class SelfTestTest {
    @Test
    void passesOnAWorkingCryptoStack() {
        assertThatCode(() -> SelfTest.run(PooledByteBufAllocator.DEFAULT, 50)).doesNotThrowAnyException();
    }
}
