/*
 * echo.c: a single-threaded io_uring TCP echo server (liburing).
 *
 * Why it is the fair "practical limit" peer beside the epoll one: it is the same server (one thread, no busy
 * polling, no SQPOLL thread, no SO_REUSEPORT sharding) written the way an experienced io_uring programmer
 * writes it today, so it shows what a server gains from batching its system calls rather than from more
 * cores or spinning:
 *   - one multishot accept and, per connection, one multishot receive into a shared ring of provided buffers:
 *     an idle connection holds no buffer, and a message costs no system call of its own; every completion of
 *     a loop turn is reaped and every new request submitted in one io_uring_submit_and_wait;
 *   - one send per received buffer, and at most one send of a connection in flight, so the bytes go out in
 *     the order they came in; the buffer goes back to the pool when its send completes, and the ring is
 *     refilled from the buffers used last, which are still in the caches;
 *   - SINGLE_ISSUER, DEFER_TASKRUN and COOP_TASKRUN where the kernel takes them (completion work runs only
 *     when the loop asks for events, with no interrupts of the thread), else without them.
 * What it still does correctly, because a real server must:
 *   - partial sends: the rest of the buffer is sent again (MSG_WAITALL already lets the kernel retry them);
 *   - backpressure: a connection holding MAX_HELD buffers (received, not yet sent) has its receive cancelled
 *     until its sends drain, so a client that does not read cannot make the server buffer without bound
 *     (the pool is shared, though: BUFFER_COUNT / MAX_HELD = 128 clients that all stop reading hold every
 *     buffer, and the others wait, without spinning, until one of those reads or goes);
 *   - buffer exhaustion: a receive that finds the ring empty (ENOBUFS) ends, and is armed again only once
 *     there are buffers to put in the ring, so it never spins;
 *   - thousands of connections: state is a table indexed by descriptor (20 bytes each), and running out of
 *     descriptors sheds one client per failed accept instead of spinning on the accept queue;
 *   - TCP_NODELAY on every connection, as Kestrel, our server and the epoll peer set it;
 *   - SIGTERM/SIGINT arrive through a signalfd polled on the same ring and end the loop with exit status 0.
 *
 * Usage: echo [--host 127.0.0.1] [--port 65432]
 * Prints "Listening on HOST:PORT" once the socket accepts connections.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* Same backlog as our server's default and every other peer's, so a burst of connects compares servers, not queues. */
#define BACKLOG 4096
/* 64 KiB, as the epoll peer's one read buffer: a large echo costs as few receives and sends here as there. A
 * page of a buffer is touched only when data lands in it, so small messages keep the resident size small. */
#define BUFFER_SIZE (64 * 1024)
/* Power of two (the kernel's ring mask). Enough for 10,000 connections that each have one request in flight at
 * once: sends of small answers complete within the submit, so buffers come back within the same loop turn. */
#define BUFFER_COUNT 1024
/* Buffers kept in the kernel's ring at a time; the rest wait in a last-in-first-out stack. The ring hands its
 * buffers out first in, first out, so with all of them in it every receive would land in the buffer used
 * longest ago, out of the caches (64 MiB of them); with this many, the ones in use stay within the L2 and L3
 * caches, and there are still enough for every connection of a busy loop turn to receive. */
#define RING_TARGET 128
#define BUFFER_GROUP 0
/* Buffers one connection may hold before its receive stops: 8 x 64 KiB, about what the kernel's own socket
 * buffers hold; it receives again once half of them have been sent. */
#define MAX_HELD 8
#define RESUME_HELD (MAX_HELD / 2)
#define SQ_ENTRIES 4096
/* Room for a storm of accepts and first requests without the kernel's overflow list. */
#define CQ_ENTRIES 16384

/* user_data: operation in the top 4 bits, the connection's generation (12 bits), a buffer id (16) and the
 * descriptor (32). The generation tells a completion of a closed connection from one of a new connection that
 * was given the same descriptor; the buffer id lets a send's buffer be recycled even then. */
enum op { OP_ACCEPT = 1, OP_LISTEN_READY, OP_RECV, OP_SEND, OP_SIGNAL, OP_IGNORE };
#define GEN_MASK 0xfffu

static inline uint64_t make_data(enum op op, unsigned gen, unsigned bid, unsigned fd)
{
    return (uint64_t)op << 60 | (uint64_t)(gen & GEN_MASK) << 48 | (uint64_t)(bid & 0xffff) << 32 | fd;
}
static inline enum op data_op(uint64_t d) { return (enum op)(d >> 60); }
static inline unsigned data_gen(uint64_t d) { return (unsigned)(d >> 48) & GEN_MASK; }
static inline unsigned data_bid(uint64_t d) { return (unsigned)(d >> 32) & 0xffff; }
static inline int data_fd(uint64_t d) { return (int)(uint32_t)d; }

enum {
    C_OPEN = 1 << 0,       /* the slot holds a live connection */
    C_RECV = 1 << 1,       /* its multishot receive is armed (its last completion has not come yet) */
    C_CANCELLING = 1 << 2, /* a cancel of that receive is on its way (backpressure) */
    C_SENDING = 1 << 3,    /* the buffer at the head of its queue is being sent */
    C_EOF = 1 << 4,        /* the client ended its stream: close once the queue is sent */
    C_WAITING = 1 << 5,    /* on the list of slots waiting for buffers; kept across reuse of the slot */
};

struct conn {
    uint16_t gen;
    /* Buffers queued, the one being sent included. It can pass MAX_HELD by what arrives before the cancel
     * lands (the kernel retries a multishot receive up to 32 times per wake-up), so more than 8 bits. */
    uint16_t held;
    uint8_t flags;
    int32_t head, tail;    /* queue of buffer ids to send, linked through buffers[].next; -1 when empty */
    int32_t next_waiting;  /* next slot on the waiting list */
};

struct buffer {
    uint32_t length;
    uint32_t offset;       /* bytes of it already sent */
    int32_t next;
};

static struct io_uring ring;
static struct io_uring_buf_ring *buf_ring;
static char *buffer_memory;
static struct buffer buffers[BUFFER_COUNT];
static uint16_t free_stack[BUFFER_COUNT]; /* buffers neither in the ring nor holding data, last freed on top */
static unsigned free_count;
static unsigned in_ring;           /* given to the kernel and not yet come back in a receive's completion */
static struct conn *conns;
static int max_fds;
static int listen_fd;
static int waiting_head = -1;
/* A spare descriptor released to accept-and-close a connection when the process is out of descriptors. */
static int reserve_fd = -1;

static void die(const char *what, int err)
{
    fprintf(stderr, "%s: %s\n", what, strerror(err));
    exit(1);
}

/* Tops the ring up from the stack, most recently used (warmest) first, with one release store for the whole
 * loop turn, not one per buffer. */
static void publish_buffers(void)
{
    int added = 0;
    while (in_ring < RING_TARGET && free_count > 0) {
        unsigned bid = free_stack[--free_count];
        io_uring_buf_ring_add(buf_ring, buffer_memory + (size_t)bid * BUFFER_SIZE, BUFFER_SIZE, (unsigned short)bid,
                              io_uring_buf_ring_mask(BUFFER_COUNT), added++);
        in_ring++;
    }
    if (added)
        io_uring_buf_ring_advance(buf_ring, added);
}

/* True when no receive armed now could get a buffer: none in the ring and none to put there. */
static int out_of_buffers(void)
{
    return in_ring == 0 && free_count == 0;
}

static struct io_uring_sqe *get_sqe(void)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    if (!sqe) {
        /* The submission ring is full within one loop turn: hand it to the kernel and go on. */
        publish_buffers();
        int r = io_uring_submit(&ring);
        if (r < 0)
            die("io_uring_submit", -r);
        sqe = io_uring_get_sqe(&ring);
        if (!sqe)
            die("io_uring_get_sqe", EBUSY);
    }
    return sqe;
}

static void recycle(unsigned bid)
{
    free_stack[free_count++] = (uint16_t)bid;
}

static void arm_accept(void)
{
    struct io_uring_sqe *sqe = get_sqe();
    io_uring_prep_multishot_accept(sqe, listen_fd, NULL, NULL, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, make_data(OP_ACCEPT, 0, 0, 0));
}

static void arm_recv(int fd)
{
    struct conn *c = &conns[fd];
    struct io_uring_sqe *sqe = get_sqe();
    io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = BUFFER_GROUP;
    io_uring_sqe_set_data64(sqe, make_data(OP_RECV, c->gen, 0, (unsigned)fd));
    c->flags |= C_RECV;
}

static void send_head(int fd)
{
    struct conn *c = &conns[fd];
    struct buffer *b = &buffers[c->head];
    struct io_uring_sqe *sqe = get_sqe();
    /* MSG_WAITALL: the kernel retries a short send on a stream socket itself instead of completing it early. */
    io_uring_prep_send(sqe, fd, buffer_memory + (size_t)c->head * BUFFER_SIZE + b->offset, b->length - b->offset,
                       MSG_NOSIGNAL | MSG_WAITALL);
    io_uring_sqe_set_data64(sqe, make_data(OP_SEND, c->gen, (unsigned)c->head, (unsigned)fd));
    c->flags |= C_SENDING;
}

/* Arms the receive again when nothing holds it back; a slot that finds the ring empty waits for buffers. */
static void resume_recv(int fd)
{
    struct conn *c = &conns[fd];
    if ((c->flags & (C_OPEN | C_RECV | C_EOF)) != C_OPEN || c->held > RESUME_HELD)
        return;
    if (out_of_buffers()) {
        if (!(c->flags & C_WAITING)) {
            c->flags |= C_WAITING;
            c->next_waiting = waiting_head;
            waiting_head = fd;
        }
        return;
    }
    arm_recv(fd);
}

static void close_conn(int fd)
{
    struct conn *c = &conns[fd];
    /* Buffers only queued go back now; the one being sent goes back when its (cancelled) send completes. */
    int32_t bid = c->head;
    if (bid >= 0 && (c->flags & C_SENDING))
        bid = buffers[bid].next;
    while (bid >= 0) {
        int32_t next = buffers[bid].next;
        recycle((unsigned)bid);
        bid = next;
    }
    /* A request in flight holds its own reference to the socket, so a plain close() would leave the receive
     * armed and the socket open: cancel every request on the descriptor first, then close it, in one chain
     * (a hard link, as the cancel fails when nothing was in flight). The descriptor stays taken until the close
     * runs, so no new connection can get it before the cancel has matched this one's requests. */
    struct io_uring_sqe *sqe = get_sqe();
    io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
    sqe->flags |= IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, make_data(OP_IGNORE, 0, 0, 0));
    sqe = get_sqe();
    io_uring_prep_close(sqe, fd);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, make_data(OP_IGNORE, 0, 0, 0));
    /* From here on every completion that names this connection is stale: its generation no longer matches. */
    c->gen = (uint16_t)((c->gen + 1) & GEN_MASK);
    c->flags &= C_WAITING;
    c->held = 0;
    c->head = c->tail = -1;
}

static void on_accept(int res, unsigned cflags)
{
    if (res >= 0) {
        int fd = res;
        if (fd >= max_fds) { /* cannot happen while max_fds is RLIMIT_NOFILE, but never index past the table */
            close(fd);
        } else {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            struct conn *c = &conns[fd];
            c->flags = (uint8_t)((c->flags & C_WAITING) | C_OPEN);
            c->held = 0;
            c->head = c->tail = -1;
            arm_recv(fd);
        }
    } else if (res == -EMFILE || res == -ENFILE) {
        /* io_uring's accept takes a descriptor before it looks for a client, so with the table full it fails
         * at once whether a client is queued or not: armed again as it is, it would spin. Shed the queued
         * client with the spare descriptor, as the epoll peer does; with none queued, wait for one first. */
        struct pollfd p = { .fd = listen_fd, .events = POLLIN };
        if (poll(&p, 1, 0) != 1) {
            if (!(cflags & IORING_CQE_F_MORE)) {
                struct io_uring_sqe *sqe = get_sqe();
                io_uring_prep_poll_add(sqe, listen_fd, POLLIN);
                io_uring_sqe_set_data64(sqe, make_data(OP_LISTEN_READY, 0, 0, 0));
            }
            return;
        }
        if (reserve_fd >= 0) {
            close(reserve_fd);
            int shed = accept(listen_fd, NULL, NULL); /* cannot block: a client is queued, and only we accept */
            if (shed >= 0)
                close(shed);
            reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        }
    } else if (res != -ECONNABORTED && res != -EINTR && res != -EAGAIN) {
        fprintf(stderr, "accept: %s\n", strerror(-res));
    }
    if (!(cflags & IORING_CQE_F_MORE))
        arm_accept();
}

static void on_recv(uint64_t data, int res, unsigned cflags)
{
    int fd = data_fd(data);
    struct conn *c = &conns[fd];
    int stale = data_gen(data) != c->gen || !(c->flags & C_OPEN);
    if (cflags & IORING_CQE_F_BUFFER) {
        unsigned bid = cflags >> IORING_CQE_BUFFER_SHIFT;
        in_ring--;
        if (stale || res <= 0) {
            recycle(bid);
        } else {
            struct buffer *b = &buffers[bid];
            b->length = (uint32_t)res;
            b->offset = 0;
            b->next = -1;
            if (c->tail >= 0)
                buffers[c->tail].next = (int32_t)bid;
            else
                c->head = (int32_t)bid;
            c->tail = (int32_t)bid;
            c->held++;
            if (!(c->flags & C_SENDING))
                send_head(fd);
            if (c->held >= MAX_HELD && (c->flags & (C_RECV | C_CANCELLING)) == C_RECV && (cflags & IORING_CQE_F_MORE)) {
                struct io_uring_sqe *sqe = get_sqe();
                io_uring_prep_cancel64(sqe, data, 0);
                io_uring_sqe_set_data64(sqe, make_data(OP_IGNORE, 0, 0, 0));
                c->flags |= C_CANCELLING;
            }
        }
    }
    if (stale || (cflags & IORING_CQE_F_MORE))
        return;
    /* The receive has ended: by our cancel, for want of buffers, at the end of the stream, or on an error. */
    c->flags &= (uint8_t)~(C_RECV | C_CANCELLING);
    if (res == 0) {
        c->flags |= C_EOF;
        if (c->held == 0)
            close_conn(fd);
    } else if (res > 0 || res == -ECANCELED || res == -ENOBUFS) {
        resume_recv(fd);
    } else {
        close_conn(fd); /* reset, or any other error */
    }
}

static void on_send(uint64_t data, int res)
{
    int fd = data_fd(data);
    unsigned bid = data_bid(data);
    struct conn *c = &conns[fd];
    if (data_gen(data) != c->gen || !(c->flags & C_OPEN)) {
        recycle(bid); /* a send of a connection closed meanwhile */
        return;
    }
    struct buffer *b = &buffers[bid];
    if (res <= 0) {
        c->flags &= (uint8_t)~C_SENDING;
        recycle(bid);
        c->head = b->next; /* close_conn must not recycle it twice */
        if (c->head < 0)
            c->tail = -1;
        close_conn(fd);
        return;
    }
    b->offset += (uint32_t)res;
    if (b->offset < b->length) {
        send_head(fd); /* a short send all the same (a signal, or the kernel gave up): send the rest */
        return;
    }
    c->flags &= (uint8_t)~C_SENDING;
    c->head = b->next;
    if (c->head < 0)
        c->tail = -1;
    c->held--;
    recycle(bid);
    if (c->head >= 0) {
        send_head(fd);
    } else if (c->flags & C_EOF) {
        close_conn(fd);
        return;
    }
    resume_recv(fd);
}

/* Slots that found the ring empty get their receive back once buffers have returned, at most one per buffer. */
static void resume_waiting(void)
{
    while (waiting_head >= 0 && !out_of_buffers()) {
        int fd = waiting_head;
        waiting_head = conns[fd].next_waiting;
        conns[fd].flags &= (uint8_t)~C_WAITING;
        resume_recv(fd);
        if (conns[fd].flags & C_WAITING)
            break;
    }
}

static void setup_ring(void)
{
    /* Each flag set in turn where the kernel refuses the newer ones (DEFER_TASKRUN needs 6.1, SINGLE_ISSUER 6.0,
     * COOP_TASKRUN 5.19). */
    static const unsigned flag_sets[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN,
        IORING_SETUP_COOP_TASKRUN,
        0,
    };
    int r = -EINVAL;
    for (size_t i = 0; i < sizeof flag_sets / sizeof flag_sets[0]; i++) {
        struct io_uring_params params;
        memset(&params, 0, sizeof params);
        params.flags = flag_sets[i] | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
        params.cq_entries = CQ_ENTRIES;
        r = io_uring_queue_init_params(SQ_ENTRIES, &ring, &params);
        if (r == 0) {
            if (i > 0)
                fprintf(stderr, "io_uring: this kernel refused SINGLE_ISSUER/DEFER_TASKRUN%s; running without\n",
                        i > 1 ? "/COOP_TASKRUN" : "");
            break;
        }
        if (r != -EINVAL)
            break;
    }
    if (r < 0)
        die("io_uring_queue_init_params", -r);
    /* Saves the descriptor lookup of the ring itself on every io_uring_enter; optional. */
    io_uring_register_ring_fd(&ring);

    /* The provided-buffer ring, as io_uring_setup_buf_ring does in liburing >= 2.4 (Debian 12 has 2.3): a
     * page-aligned array of buffer descriptors that the kernel reads and we refill. */
    size_t ring_size = BUFFER_COUNT * sizeof(struct io_uring_buf);
    void *mem = mmap(NULL, ring_size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED)
        die("mmap(buffer ring)", errno);
    buf_ring = mem;
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (unsigned long)(uintptr_t)mem;
    reg.ring_entries = BUFFER_COUNT;
    reg.bgid = BUFFER_GROUP;
    r = io_uring_register_buf_ring(&ring, &reg, 0);
    if (r < 0)
        die("io_uring_register_buf_ring", -r);
    io_uring_buf_ring_init(buf_ring);
    /* Reserved, not touched: a page is resident only once a receive has written to it. */
    buffer_memory = mmap(NULL, (size_t)BUFFER_COUNT * BUFFER_SIZE, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (buffer_memory == MAP_FAILED)
        die("mmap(buffers)", errno);
    for (unsigned bid = BUFFER_COUNT; bid-- > 0;)
        recycle(bid);
    publish_buffers();
}

static void usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [--host 127.0.0.1] [--port 65432]\n", argv0);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    int port = 65432;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--host") == 0 && i + 1 < argc)
            host = argv[++i];
        else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = atoi(argv[++i]);
        else
            usage(argv[0]);
    }
    if (port <= 0 || port > 65535)
        usage(argv[0]);

    /* Thousands of connections need thousands of descriptors: take the hard limit, as .NET and Node do. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    max_fds = rl.rlim_cur > (1u << 30) ? (1 << 30) : (int)rl.rlim_cur;
    conns = calloc((size_t)max_fds, sizeof *conns);
    if (!conns)
        die("calloc", ENOMEM);

    struct sockaddr_storage addr;
    socklen_t addr_len;
    memset(&addr, 0, sizeof addr);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        addr_len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        addr_len = sizeof *v6;
    } else {
        fprintf(stderr, "not an IP address: %s\n", host);
        return 2;
    }

    /* Blocking: io_uring waits for readiness itself, and the accept() that sheds a client when descriptors run
     * out is called only once poll() has seen one queued. */
    listen_fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd < 0)
        die("socket", errno);
    int one = 1;
    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(listen_fd, (struct sockaddr *)&addr, addr_len) < 0)
        die("bind", errno);
    if (listen(listen_fd, BACKLOG) < 0)
        die("listen", errno);

    /* Signals are read from a descriptor polled on the ring, so one between two waits cannot be missed. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    if (sigprocmask(SIG_BLOCK, &stop_signals, NULL) < 0)
        die("sigprocmask", errno);
    int sig_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
    if (sig_fd < 0)
        die("signalfd", errno);
    /* A peer that closes while we send must not kill the process (MSG_NOSIGNAL covers our sends already). */
    signal(SIGPIPE, SIG_IGN);
    reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    setup_ring();
    struct io_uring_sqe *sqe = get_sqe();
    io_uring_prep_poll_add(sqe, sig_fd, POLLIN);
    io_uring_sqe_set_data64(sqe, make_data(OP_SIGNAL, 0, 0, 0));
    arm_accept();

    printf("Listening on %s:%d\n", host, port);
    fflush(stdout);

    for (;;) {
        resume_waiting();
        publish_buffers();
        int r = io_uring_submit_and_wait(&ring, 1);
        /* EINTR: a signal not ours; EBUSY/EAGAIN: completions are backed up, so reap them before submitting more. */
        if (r < 0 && r != -EINTR && r != -EBUSY && r != -EAGAIN)
            die("io_uring_submit_and_wait", -r);
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            uint64_t data = io_uring_cqe_get_data64(cqe);
            seen++;
            switch (data_op(data)) {
            case OP_ACCEPT:
                on_accept(cqe->res, cqe->flags);
                break;
            case OP_LISTEN_READY: /* a client is queued while the descriptor table was full: accept (or shed) it */
                arm_accept();
                break;
            case OP_RECV:
                on_recv(data, cqe->res, cqe->flags);
                break;
            case OP_SEND:
                on_send(data, cqe->res);
                break;
            case OP_SIGNAL:
                /* The ring is torn down after the process has gone, and its armed accept holds the listener
                 * until then: take the port back now, so a server started right after can bind it. */
                shutdown(listen_fd, SHUT_RDWR);
                return 0;
            case OP_IGNORE:
                break;
            }
        }
        io_uring_cq_advance(&ring, seen);
    }
}
