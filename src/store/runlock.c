/*
 * runlock.c — run claims (OFD locks on RUNLOCK_BYTE of the run file), the
 * process-wide table of run-file descriptors they live on, and the project
 * lock.  See runlock.h for why the table exists.
 *
 * The table is the store's one piece of global state; its mutex is held
 * only for a lookup and a lock call, never across SQLite or a wait.
 */
#include "store/runlock.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/errcode.h"

#define PROJECT_LOCK_NAME ".tally.lock"
#define PROJECT_WAIT_MS 10000 /* creators queue behind each other: each holds it briefly */
#define PROJECT_FDS_MAX 64

typedef struct entry {
    struct entry *next;
    dev_t dev;
    ino_t ino;
    int fd;
    int flags;       /* O_RDWR or O_RDONLY: how fd was opened (a child reopens alike) */
    int refs;
    runlock *claimer; /* the reference that holds the claim, or NULL */
    char *path;       /* for the reopen in a fork()ed child */
    int *spare;       /* descriptors of this inode that must outlive SQLite too */
    size_t nspare;
} entry;

struct runlock {
    entry *e;
};

static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER;
static entry *table;
static int project_fds[PROJECT_FDS_MAX];
static size_t nproject_fds;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

/* While a claim is held, fork() returns in the parent only once the child
 * has let go of the claim's description (fork_child): until then the child
 * shares it, and a parent killed in that moment would leave its run looking
 * alive for as long as the child lives.  The child says so on this pipe
 * (guarded by table_mu from prepare to the end of either handler). */
#define FORK_WAIT_MS 2000
static int fork_pipe[2] = {-1, -1};

static void fork_prepare(void)
{
    pthread_mutex_lock(&table_mu);
    fork_pipe[0] = fork_pipe[1] = -1;
    for (entry *e = table; e; e = e->next)
        if (e->claimer) {
            if (pipe2(fork_pipe, O_CLOEXEC) != 0)
                fork_pipe[0] = fork_pipe[1] = -1;
            break;
        }
}

static void fork_parent(void)
{
    if (fork_pipe[0] >= 0) {
        close(fork_pipe[1]);
        struct pollfd p = {.fd = fork_pipe[0], .events = POLLIN};
        char c;
        /* A byte, or EOF if the child died first; bounded either way. */
        if (poll(&p, 1, FORK_WAIT_MS) > 0 && read(fork_pipe[0], &c, 1) < 0)
            c = 0;
        close(fork_pipe[0]);
        fork_pipe[0] = fork_pipe[1] = -1;
    }
    pthread_mutex_unlock(&table_mu);
}

/* The child shares every descriptor's open file description, and with it
 * any OFD lock, with the parent.  Each entry gets a description of its own
 * (dup3 over the same number, so nothing else changes), which holds no
 * lock: the child neither keeps the parent's claim alive after the parent
 * dies nor releases it.  Closing is safe here: POSIX locks are not
 * inherited, so the child has none to lose.  Project locks held by the
 * parent's threads are dropped the same way. */
static void fork_child(void)
{
    for (entry *e = table; e; e = e->next) {
        int fd = open(e->path, e->flags | O_CLOEXEC);
        if (fd >= 0) {
            dup3(fd, e->fd, O_CLOEXEC);
            close(fd);
        }
        e->claimer = NULL;
    }
    for (size_t i = 0; i < nproject_fds; i++)
        close(project_fds[i]);
    nproject_fds = 0;
    if (fork_pipe[1] >= 0) {
        ssize_t n = write(fork_pipe[1], "", 1); /* if it fails, the parent sees EOF */
        (void)n;
        close(fork_pipe[0]);
        close(fork_pipe[1]);
        fork_pipe[0] = fork_pipe[1] = -1;
    }
    pthread_mutex_unlock(&table_mu);
}

static void install_fork_handlers(void)
{
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

static struct flock claim_range(short type)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = (off_t)RUNLOCK_BYTE;
    fl.l_len = 1;
    return fl;
}

static entry *find(dev_t dev, ino_t ino)
{
    for (entry *e = table; e; e = e->next)
        if (e->dev == dev && e->ino == ino)
            return e;
    return NULL;
}

/* A new entry for fd (called with the table locked); takes fd. */
static entry *add(int fd, int flags, const struct stat *sb, const char *path)
{
    entry *e = calloc(1, sizeof *e);
    if (!e || !(e->path = strdup(path))) {
        free(e);
        return NULL;
    }
    e->dev = sb->st_dev;
    e->ino = sb->st_ino;
    e->fd = fd;
    e->flags = flags;
    e->next = table;
    table = e;
    return e;
}

static int new_ref(entry *e, runlock **out)
{
    runlock *ref = malloc(sizeof *ref);
    if (!ref)
        return TALLY_ENOMEM;
    ref->e = e;
    e->refs++;
    *out = ref;
    return TALLY_OK;
}

/* Read-write when we may (a claim needs it), else read-only. */
static int open_file(const char *path, int *flags)
{
    *flags = O_RDWR;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM)) {
        *flags = O_RDONLY;
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    return fd;
}

int runlock_open(const char *path, runlock **out)
{
    *out = NULL;
    pthread_once(&fork_once, install_fork_handlers);
    struct stat sb;
    if (stat(path, &sb) != 0)
        return errcode_from_errno(errno);
    pthread_mutex_lock(&table_mu);
    int rc = TALLY_OK;
    entry *e = find(sb.st_dev, sb.st_ino);
    if (!e) {
        int flags;
        int fd = open_file(path, &flags);
        struct stat fsb;
        if (fd < 0) {
            rc = errcode_from_errno(errno);
        } else if (fstat(fd, &fsb) != 0) {
            rc = TALLY_EIO;
            close(fd); /* cannot tell its inode: it was never shared */
        } else if ((e = find(fsb.st_dev, fsb.st_ino))) {
            /* The path moved to a file we already hold since the stat():
             * this descriptor must not be closed while SQLite may lock the
             * inode, so it lives as long as the entry. */
            int *spare = realloc(e->spare, (e->nspare + 1) * sizeof *spare);
            if (spare) {
                e->spare = spare;
                e->spare[e->nspare++] = fd;
            } /* else: leak one descriptor rather than drop SQLite's locks */
        } else if (!(e = add(fd, flags, &fsb, path))) {
            rc = TALLY_ENOMEM;
            close(fd); /* new inode to this process: no SQLite lock on it yet */
        }
    }
    if (!rc)
        rc = new_ref(e, out);
    pthread_mutex_unlock(&table_mu);
    return rc;
}

static void release_claim(entry *e)
{
    struct flock fl = claim_range(F_UNLCK);
    fcntl(e->fd, F_OFD_SETLK, &fl);
    e->claimer = NULL;
}

void runlock_close(runlock *ref)
{
    if (!ref)
        return;
    pthread_mutex_lock(&table_mu);
    entry *e = ref->e;
    if (e->claimer == ref)
        release_claim(e);
    if (--e->refs == 0) {
        for (entry **p = &table; *p; p = &(*p)->next)
            if (*p == e) {
                *p = e->next;
                break;
            }
        close(e->fd);
        for (size_t i = 0; i < e->nspare; i++)
            close(e->spare[i]);
        free(e->spare);
        free(e->path);
        free(e);
    }
    pthread_mutex_unlock(&table_mu);
    free(ref);
}

int runlock_claim(runlock *ref)
{
    pthread_mutex_lock(&table_mu);
    entry *e = ref->e;
    int rc = TALLY_OK;
    if (e->claimer) {
        rc = e->claimer == ref ? TALLY_OK : TALLY_EBUSY; /* another run of this process */
    } else if (e->flags != O_RDWR) {
        rc = TALLY_EACCES;
    } else {
        struct flock fl = claim_range(F_WRLCK);
        if (fcntl(e->fd, F_OFD_SETLK, &fl) == 0)
            e->claimer = ref;
        else if (errno == EINVAL)
            e->claimer = ref; /* no OFD locks here: this process still excludes itself */
        else
            rc = errno == EAGAIN || errno == EACCES ? TALLY_EBUSY : errcode_from_errno(errno);
    }
    pthread_mutex_unlock(&table_mu);
    return rc;
}

int runlock_held(runlock *ref)
{
    pthread_mutex_lock(&table_mu);
    entry *e = ref->e;
    int held;
    if (e->claimer) {
        held = 1; /* our own lock: the kernel would not report it to us */
    } else {
        struct flock fl = claim_range(F_WRLCK);
        if (fcntl(e->fd, F_OFD_GETLK, &fl) != 0)
            held = -1;
        else
            held = fl.l_type != F_UNLCK;
    }
    pthread_mutex_unlock(&table_mu);
    return held;
}

int runlock_create(const char *path, runlock **out)
{
    *out = NULL;
    pthread_once(&fork_once, install_fork_handlers);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return errcode_from_errno(errno);
    struct stat sb;
    int rc = fstat(fd, &sb) == 0 ? TALLY_OK : TALLY_EIO;
    pthread_mutex_lock(&table_mu);
    entry *e = rc ? NULL : add(fd, O_RDWR, &sb, path);
    if (!rc && !e)
        rc = TALLY_ENOMEM;
    if (!rc && (rc = new_ref(e, out)) != TALLY_OK) {
        table = e->next; /* still the head: the table stayed locked */
        free(e->path);
        free(e);
    }
    pthread_mutex_unlock(&table_mu);
    if (rc) {
        close(fd); /* a brand-new inode: no SQLite lock on it yet */
        unlink(path);
        return rc;
    }
    rc = runlock_claim(*out);
    if (rc) {
        runlock_close(*out);
        *out = NULL;
        unlink(path);
    }
    return rc;
}

int runlock_project(const char *project_dir, int *out)
{
    *out = -1;
    pthread_once(&fork_once, install_fork_handlers);
    buf path = BUF_INIT;
    buf_printf(&path, "%s/%s", project_dir, PROJECT_LOCK_NAME);
    if (path.oom)
        return TALLY_ENOMEM;
    int fd = open(buf_cstr(&path), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    buf_free(&path);
    if (fd < 0)
        return errcode_from_errno(errno);
    /* Polled rather than a blocking flock(): a creator that never lets go
     * (stopped in a debugger) must not hang the next one forever. */
    struct timespec pause = {0, 1000000};
    int waited_ms = 0;
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            int rc = errcode_from_errno(errno);
            close(fd);
            return rc;
        }
        if (waited_ms >= PROJECT_WAIT_MS) {
            close(fd);
            return TALLY_EBUSY;
        }
        nanosleep(&pause, NULL);
        waited_ms += (int)(pause.tv_nsec / 1000000);
        if (pause.tv_nsec < 16000000)
            pause.tv_nsec *= 2;
    }
    pthread_mutex_lock(&table_mu);
    if (nproject_fds < PROJECT_FDS_MAX)
        project_fds[nproject_fds++] = fd;
    pthread_mutex_unlock(&table_mu);
    *out = fd;
    return TALLY_OK;
}

void runlock_project_release(int fd)
{
    if (fd < 0)
        return;
    pthread_mutex_lock(&table_mu);
    for (size_t i = 0; i < nproject_fds; i++)
        if (project_fds[i] == fd) {
            project_fds[i] = project_fds[--nproject_fds];
            break;
        }
    pthread_mutex_unlock(&table_mu);
    close(fd); /* the lock file is never opened by SQLite: closing it is harmless */
}
