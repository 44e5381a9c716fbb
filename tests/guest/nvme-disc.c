/* Reads the discovery log page (LID 0x70) of a connected NVMe-oF discovery controller through
 * its char device (NVME_IOCTL_ADMIN_CMD) and prints it; built static into the test guest.
 * Usage: nvme-disc /dev/nvmeX   Output: "genctr=G numrec=N recfmt=R", then one "entry I ..." line
 * per record. Exit 0 on success. */
#include <fcntl.h>
#include <linux/nvme_ioctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int get_log(int fd, void *buf, uint32_t len, uint64_t off) {
  struct nvme_admin_cmd c;
  memset(&c, 0, sizeof c);
  uint32_t numd = len / 4 - 1;
  c.opcode = 0x02;
  c.nsid = 0;
  c.addr = (uint64_t)(uintptr_t)buf;
  c.data_len = len;
  c.cdw10 = 0x70 | ((numd & 0xffff) << 16);
  c.cdw11 = numd >> 16;
  c.cdw12 = (uint32_t)off;
  c.cdw13 = (uint32_t)(off >> 32);
  c.timeout_ms = 10000;
  return ioctl(fd, NVME_IOCTL_ADMIN_CMD, &c);
}

static void field(const char *name, const unsigned char *p, int n) {
  int e = n;
  while (e > 0 && (p[e - 1] == ' ' || p[e - 1] == 0)) e--;
  printf(" %s=%.*s", name, e, (const char *)p);
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: nvme-disc /dev/nvmeX\n"); return 2; }
  int fd = open(argv[1], O_RDWR);
  if (fd < 0) { perror(argv[1]); return 1; }
  unsigned char hdr[1024];
  int rc = get_log(fd, hdr, sizeof hdr, 0);
  if (rc != 0) { if (rc < 0) perror("get log page 0x70 (header)"); else fprintf(stderr, "get log page 0x70 (header): NVMe status 0x%x\n", rc); return 1; }
  uint64_t gen, num; uint16_t fmt;
  memcpy(&gen, hdr, 8); memcpy(&num, hdr + 8, 8); memcpy(&fmt, hdr + 16, 2);
  printf("genctr=%llu numrec=%llu recfmt=%u\n", (unsigned long long)gen, (unsigned long long)num, fmt);
  if (num > 1024) { fprintf(stderr, "numrec %llu too large\n", (unsigned long long)num); return 1; }
  if (num == 0) return 0;
  uint32_t len = (uint32_t)(1024 * (num + 1));
  unsigned char *b = calloc(1, len);
  rc = get_log(fd, b, len, 0);
  if (rc != 0) { if (rc < 0) perror("get log page 0x70"); else fprintf(stderr, "get log page 0x70: NVMe status 0x%x\n", rc); return 1; }
  uint64_t gen2; memcpy(&gen2, b, 8);
  if (gen2 != gen) printf("genctr changed %llu -> %llu\n", (unsigned long long)gen, (unsigned long long)gen2);
  for (uint64_t i = 0; i < num; i++) {
    const unsigned char *e = b + 1024 * (i + 1);
    uint16_t portid, cntlid, asqsz;
    memcpy(&portid, e + 4, 2); memcpy(&cntlid, e + 6, 2); memcpy(&asqsz, e + 8, 2);
    printf("entry %llu trtype=%u adrfam=%u subtype=%u treq=%u portid=%u cntlid=0x%x asqsz=%u",
           (unsigned long long)i, e[0], e[1], e[2], e[3], portid, cntlid, asqsz);
    field("trsvcid", e + 32, 32);
    field("subnqn", e + 256, 256);
    field("traddr", e + 512, 256);
    printf("\n");
  }
  free(b);
  close(fd);
  return 0;
}
