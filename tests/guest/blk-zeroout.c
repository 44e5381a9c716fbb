// blk-zeroout DEVICE OFFSET LENGTH: BLKZEROOUT on a block device (busybox's blkdiscard has no -z).
// The kernel sends WRITE ZEROES (virtio-blk) / WRITE SAME (SCSI) when the device offers it, else
// writes zero pages; either way the range must read back as zeroes.
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 4) { fprintf(stderr, "usage: blk-zeroout DEVICE OFFSET LENGTH\n"); return 2; }
    int fd = open(argv[1], O_WRONLY);
    if (fd < 0) { fprintf(stderr, "open %s: %s\n", argv[1], strerror(errno)); return 1; }
    uint64_t range[2] = { strtoull(argv[2], NULL, 0), strtoull(argv[3], NULL, 0) };
    if (ioctl(fd, BLKZEROOUT, range) != 0) { fprintf(stderr, "BLKZEROOUT %s: %s\n", argv[1], strerror(errno)); return 1; }
    close(fd);
    return 0;
}
