/*
 * echo.c: a single-threaded, non-blocking, level-triggered epoll TCP echo server.
 *
 * Why it is the fair "practical limit" peer: it does the least work any echo server can do per message on
 * Linux, one epoll_wait shared by many events plus one read() and one write() per readable connection, and
 * it does it the way an experienced C programmer writes it: no threads, no io_uring, no busy polling, no
 * SO_REUSEPORT sharding. What it still does correctly, because a real server must:
 *   - partial writes: the unsent rest is kept in a per-connection buffer, the connection switches to
 *     EPOLLOUT only while that buffer is non-empty and stops reading meanwhile (backpressure: a client that
 *     does not read cannot make the server buffer without bound);
 *   - thousands of connections: an idle connection holds no buffer (one shared 64 KiB read buffer), state
 *     is a table indexed by descriptor, and running out of descriptors does not spin the accept loop;
 *   - TCP_NODELAY on every connection, as Kestrel and our server set it: small request/response traffic
 *     must not wait on Nagle's algorithm and delayed ACKs;
 *   - SIGTERM/SIGINT arrive through a signalfd in the same epoll set and end the loop with exit status 0.
 *
 * Usage: echo [--host 127.0.0.1] [--port 65432]
 * Prints "Listening on HOST:PORT" once the socket accepts connections.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* Same backlog as our server's default and every other peer's, so a burst of connects compares servers, not queues. */
#define BACKLOG 4096
#define MAX_EVENTS 1024
#define READ_BUFFER_SIZE (64 * 1024)

/* Output that a write() did not take; allocated only while a connection has such output. */
struct pending {
    size_t length;
    size_t offset;
    char data[];
};

static struct pending **pending_by_fd;
static int max_fds;
static int epfd;
/* A spare descriptor released to accept-and-close a connection when the process is out of descriptors. */
static int reserve_fd = -1;
static char read_buffer[READ_BUFFER_SIZE];

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void set_interest(int fd, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.fd = fd };
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
        die("epoll_ctl(MOD)");
}

static void close_connection(int fd)
{
    free(pending_by_fd[fd]);
    pending_by_fd[fd] = NULL;
    close(fd); /* also removes fd from the epoll set: it is never dup'ed */
}

/* Writes data; keeps what the socket did not take and waits for EPOLLOUT. Returns -1 if fd was closed. */
static int send_or_keep(int fd, const char *data, size_t length)
{
    size_t sent = 0;
    while (sent < length) {
        ssize_t n = write(fd, data + sent, length - sent);
        if (n > 0) {
            sent += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            size_t rest = length - sent;
            struct pending *p = malloc(sizeof *p + rest);
            if (!p)
                die("malloc");
            p->length = rest;
            p->offset = 0;
            memcpy(p->data, data + sent, rest);
            pending_by_fd[fd] = p;
            set_interest(fd, EPOLLOUT);
            return 0;
        } else {
            close_connection(fd);
            return -1;
        }
    }
    return 0;
}

static void on_readable(int fd)
{
    ssize_t n = read(fd, read_buffer, sizeof read_buffer);
    if (n > 0) {
        send_or_keep(fd, read_buffer, (size_t)n);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        close_connection(fd); /* end of stream or reset */
    }
}

static void on_writable(int fd)
{
    struct pending *p = pending_by_fd[fd];
    while (p->offset < p->length) {
        ssize_t n = write(fd, p->data + p->offset, p->length - p->offset);
        if (n > 0) {
            p->offset += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            return;
        } else {
            close_connection(fd);
            return;
        }
    }
    free(p);
    pending_by_fd[fd] = NULL;
    set_interest(fd, EPOLLIN);
}

static void accept_all(int listen_fd)
{
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                return;
            if ((errno == EMFILE || errno == ENFILE) && reserve_fd >= 0) {
                /* Level-triggered epoll would report the listener forever: shed this one client instead. */
                close(reserve_fd);
                int shed = accept(listen_fd, NULL, NULL);
                if (shed >= 0)
                    close(shed);
                reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                continue;
            }
            perror("accept4");
            return;
        }
        if (fd >= max_fds) { /* cannot happen while max_fds is RLIMIT_NOFILE, but never index past the table */
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
            die("epoll_ctl(ADD)");
    }
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
    max_fds = (int)rl.rlim_cur;
    pending_by_fd = calloc((size_t)max_fds, sizeof *pending_by_fd);
    if (!pending_by_fd)
        die("calloc");

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

    int listen_fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd < 0)
        die("socket");
    int one = 1;
    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(listen_fd, (struct sockaddr *)&addr, addr_len) < 0)
        die("bind");
    if (listen(listen_fd, BACKLOG) < 0)
        die("listen");

    /* Signals are read from a descriptor, so a signal between two epoll_wait calls cannot be missed. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    if (sigprocmask(SIG_BLOCK, &stop_signals, NULL) < 0)
        die("sigprocmask");
    int sig_fd = signalfd(-1, &stop_signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sig_fd < 0)
        die("signalfd");
    /* A peer that closes while we write must not kill the process. */
    signal(SIGPIPE, SIG_IGN);

    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        die("epoll_create1");
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = listen_fd };
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev) < 0)
        die("epoll_ctl(listen)");
    ev.data.fd = sig_fd;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, sig_fd, &ev) < 0)
        die("epoll_ctl(signalfd)");
    reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    printf("Listening on %s:%d\n", host, port);
    fflush(stdout);

    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            uint32_t e = events[i].events;
            if (fd == listen_fd) {
                accept_all(listen_fd);
            } else if (fd == sig_fd) {
                return 0;
            } else if (pending_by_fd[fd]) {
                /* Only EPOLLOUT is asked for while output is pending; errors and hang-ups show up as writes. */
                if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP))
                    on_writable(fd);
            } else if (e & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                on_readable(fd);
            }
        }
    }
}
