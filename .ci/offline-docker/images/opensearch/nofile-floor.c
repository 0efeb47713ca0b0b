/*
 * LD_PRELOAD shim of the OpenSearch STAND-IN image, loaded by its entrypoint ONLY where the hard limit of open files
 * is below 65535 (CI's sandbox: 20000, and no CAP_SYS_RESOURCE to raise it, for containers too). OpenSearch's
 * bootstrap checks, enforced once it binds a non-loopback address (every multi-node cluster), refuse to start below
 * 65535 open files; the official image would refuse to start there too. This makes getrlimit(RLIMIT_NOFILE)
 * report at least 65535 to OpenSearch; the kernel still enforces the real limit (a test cluster's few indices need
 * far fewer). Users' nodes have the limit they need: this shim proves nothing about them.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/resource.h>

#define FLOOR 65535

typedef int (*getrlimit_fn)(__rlimit_resource_t, struct rlimit *);

static int floored(const char *symbol, __rlimit_resource_t resource, struct rlimit *limit) {
  getrlimit_fn real = (getrlimit_fn)dlsym(RTLD_NEXT, symbol);
  int rc = real(resource, limit);
  if (rc == 0 && resource == RLIMIT_NOFILE) {
    if (limit->rlim_cur != RLIM_INFINITY && limit->rlim_cur < FLOOR) limit->rlim_cur = FLOOR;
    if (limit->rlim_max != RLIM_INFINITY && limit->rlim_max < FLOOR) limit->rlim_max = FLOOR;
  }
  return rc;
}

int getrlimit(__rlimit_resource_t resource, struct rlimit *limit) { return floored("getrlimit", resource, limit); }

int getrlimit64(__rlimit_resource_t resource, struct rlimit64 *limit) {
  return floored("getrlimit64", resource, (struct rlimit *)limit);
}
