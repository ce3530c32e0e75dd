package dev.culvert.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.protocol.noise.RemoteStatic;
import dev.culvert.protocol.testing.MemoryLink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A removed peer leaves neither session keys nor its static secrets behind (SECURITY.md, "Key material"). */
class PeerRemovalWipesTest {
    private MemoryLink link;

    @AfterEach
    void release() {
        if (link != null) {
            link.releaseAll();
        }
    }

    @Test
    void removingAPeerDestroysItsRemoteStatic() {
        link = new MemoryLink();
        link.a.peer.start();
        link.pump();
        assertThat(link.a.peer.hasSession()).isTrue();
        RemoteStatic remote = link.a.peer.remote();

        link.a.engine.removePeer(link.a.peer);

        assertThat(remote.isDestroyed()).isTrue();
        assertThat(link.a.peer.hasSession()).isFalse();
        assertThat(remote.publicKey()).isEqualTo(link.b.engine.publicKey());
    }
}
