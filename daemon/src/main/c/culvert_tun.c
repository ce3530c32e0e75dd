/*
 * culvert_tun.c - the whole of Culvert's native code.
 *
 * Four JNI functions around /dev/net/tun (<linux/if_tun.h>):
 *   open            open /dev/net/tun non-blocking and attach it to a tun or tap interface of an exact
 *                   name with TUNSETIFF (IFF_NO_PI, plus IFF_VNET_HDR, IFF_MULTI_QUEUE and/or IFF_TUN_EXCL
 *                   if asked; with IFF_TUN_EXCL an existing interface of that name gives EBUSY);
 *   getFlags        TUNGETIFF: the device's flags, IFF_PERSIST among them (was it there before us?);
 *   setOffload      TUNSETOFFLOAD: which offloads (TUN_F_*) the device may hand us and take from us;
 *   setVnetHdrSize  TUNSETVNETHDRSZ: the size of the virtio_net_hdr before each packet.
 * Each returns a file descriptor, the flags or 0 on success, or -errno on failure. They throw nothing, log nothing
 * and never call back into Java: everything else (name validation, error messages, epoll registration,
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

/* UDP segmentation offload (Linux 6.2); older headers lack it. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

/* dev.culvert.daemon.tun.TunNative repeats these values; a header that disagrees fails the build. */
_Static_assert(IFF_VNET_HDR == 0x4000, "IFF_VNET_HDR differs from TunNative.IFF_VNET_HDR");
_Static_assert(IFF_MULTI_QUEUE == 0x0100, "IFF_MULTI_QUEUE differs from TunNative.IFF_MULTI_QUEUE");
_Static_assert(IFF_TUN_EXCL == 0x8000, "IFF_TUN_EXCL differs from TunNative.IFF_TUN_EXCL");
_Static_assert(IFF_PERSIST == 0x0800, "IFF_PERSIST differs from TunNative.IFF_PERSIST");
_Static_assert(TUN_F_CSUM == 0x01 && TUN_F_TSO4 == 0x02 && TUN_F_TSO6 == 0x04 && TUN_F_USO4 == 0x20
               && TUN_F_USO6 == 0x40, "TUN_F_* differ from TunNative.TUN_F_*");

static const char TUN_CLONE_DEVICE[] = "/dev/net/tun";

/* The flags open() takes from Java on top of IFF_TUN/IFF_TAP and IFF_NO_PI. */
static const int OPEN_FLAGS = IFF_VNET_HDR | IFF_MULTI_QUEUE | IFF_TUN_EXCL;

/*
 * Class:     dev_culvert_daemon_tun_TunNative
 * Method:    open
 * Signature: (Ljava/lang/String;ZI)I
 */
JNIEXPORT jint JNICALL
Java_dev_culvert_daemon_tun_TunNative_open(JNIEnv *env, jclass cls, jstring name, jboolean tap, jint flags)
{
    (void) cls;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));

    if (name == NULL || (flags & ~OPEN_FLAGS) != 0) {
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

    ifr.ifr_flags = (short) ((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI | flags);

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

/*
 * Class:     dev_culvert_daemon_tun_TunNative
 * Method:    getFlags
 * Signature: (I)I
 */
JNIEXPORT jint JNICALL
Java_dev_culvert_daemon_tun_TunNative_getFlags(JNIEnv *env, jclass cls, jint fd)
{
    (void) env;
    (void) cls;
    if (fd < 0) {
        return -EBADF;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
        return -errno;
    }
    return (jint) (unsigned short) ifr.ifr_flags;
}

/*
 * Class:     dev_culvert_daemon_tun_TunNative
 * Method:    setOffload
 * Signature: (II)I
 */
JNIEXPORT jint JNICALL
Java_dev_culvert_daemon_tun_TunNative_setOffload(JNIEnv *env, jclass cls, jint fd, jint offloads)
{
    (void) env;
    (void) cls;
    if (fd < 0) {
        return -EBADF;
    }
    if (ioctl(fd, TUNSETOFFLOAD, (unsigned long) (unsigned int) offloads) < 0) {
        return -errno;
    }
    return 0;
}

/*
 * Class:     dev_culvert_daemon_tun_TunNative
 * Method:    setVnetHdrSize
 * Signature: (II)I
 */
JNIEXPORT jint JNICALL
Java_dev_culvert_daemon_tun_TunNative_setVnetHdrSize(JNIEnv *env, jclass cls, jint fd, jint size)
{
    (void) env;
    (void) cls;
    if (fd < 0) {
        return -EBADF;
    }
    int sz = size;
    if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0) {
        return -errno;
    }
    return 0;
}
