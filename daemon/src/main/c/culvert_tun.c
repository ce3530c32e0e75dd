/*
 * culvert_tun.c - the whole of Culvert's native code.
 *
 * One JNI function: open /dev/net/tun non-blocking and attach it to a tun or tap
 * interface of an exact name with TUNSETIFF. It returns the file descriptor, or
 * -errno on failure. It throws nothing, logs nothing and never calls back into
 * Java: everything else (name validation, error messages, epoll registration,
 * reads and writes) is done in Java by dev.culvert.daemon.tun.
 */
#include <jni.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_tun.h>

static const char TUN_CLONE_DEVICE[] = "/dev/net/tun";

/*
 * Class:     dev_culvert_daemon_tun_TunNative
 * Method:    open
 * Signature: (Ljava/lang/String;Z)I
 */
JNIEXPORT jint JNICALL
Java_dev_culvert_daemon_tun_TunNative_open(JNIEnv *env, jclass cls, jstring name, jboolean tap)
{
    (void) cls;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));

    if (name == NULL) {
        return -EINVAL;
    }
    const char *utf = (*env)->GetStringUTFChars(env, name, NULL);
    if (utf == NULL) {
        return -ENOMEM; /* the JVM has an OutOfMemoryError pending */
    }
    size_t len = strlen(utf);
    if (len == 0 || len >= IFNAMSIZ) {
        (*env)->ReleaseStringUTFChars(env, name, utf);
        return -EINVAL;
    }
    memcpy(ifr.ifr_name, utf, len);
    (*env)->ReleaseStringUTFChars(env, name, utf);

    ifr.ifr_flags = (short) ((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI);

    int fd = open(TUN_CLONE_DEVICE, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}
