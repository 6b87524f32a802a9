/*
 * loadgen.c: a small single-threaded epoll load generator for loopback benchmarks, written independently of
 * `framewire bench` so the two can be checked against each other.
 *
 * It opens C connections, keeps D requests in flight on each (a new one is sent for every answer that
 * completes), runs a warm-up, then measures for a fixed time and prints one key=value line:
 *   messages per second, and with --pid the server's CPU time per message (utime+stime of all its threads
 *   from /proc/PID/stat; far steadier than msg/s when this client is itself near saturation, which
 *   client_cpu_s close to seconds shows).
 * Echo mode sends S-byte messages and checks every echoed byte. Frame mode sends the seed's search request
 * ({"action": "search", "value": V} in the seed's framing) and counts answers by their framing (2-byte length,
 * JSON header, content-length bytes of content), so any server of the seed's protocol can be driven.
 *
 * Bounded by construction: connections <= 10000, depth <= 1024, warm-up <= 60 s, duration <= 120 s, and an
 * alarm ends the process if connecting or the run hangs.
 *
 * Latency (p50_us, p99_us, p999_us, max_us) runs from the moment a request is queued for sending (each answer
 * that completes queues the next one at once) to the read that completes its answer; answers on one connection
 * come back in order, so each connection keeps the send times of its D requests in flight in a ring. One clock
 * read per read() call, not per message; buckets are exact below 128 µs and within 1/64 (1.6 %) above, and a
 * percentile is reported as its bucket's midpoint.
 *
 * total_messages counts every completed answer (warm-up included) and bytes_sent every request byte written:
 * after the run a server that counts what it received can check both (see the load tests).
 *
 * machine_busy_s is the non-idle time of all CPUs over the measured window. Beyond server_cpu_s +
 * client_cpu_s it holds the loopback's softirq work (not charged to either process) and anything else
 * running: a figure far above the two together means the run shared the machine and should be repeated.
 *
 * --busy-poll polls epoll without sleeping: this client's CPU never goes idle, so its wake-up latency (large
 * and variable on a VM, where an idle vCPU exits to the hypervisor) drops out of depth-1 results; it burns
 * its whole core, so use it only with the client pinned to a core of its own.
 *
 * Usage: loadgen --port P [--host 127.0.0.1] [--connections 64] [--depth 1] [--size 64] [--frame [--value K]]
 *                [--warmup 1] [--duration 4] [--pid SERVER_PID] [--busy-poll]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 10000
#define MAX_DEPTH 1024
#define MAX_SIZE (64 * 1024)
#define MAX_HEADER 4096
#define READ_BUFFER_SIZE (256 * 1024)

struct conn {
    int fd;
    size_t unsent;        /* bytes of requests not yet written (always the tail of `requests`) */
    uint64_t received;    /* echo mode: bytes received */
    /* frame mode: where we are in the current answer */
    int state;            /* 0: length prefix, 1: header, 2: content */
    size_t need;          /* bytes still needed for the current part */
    size_t header_len;
    double *sent_at;      /* send times of the depth requests in flight, oldest at sent_head */
    int sent_head;
    char header[MAX_HEADER];
};

/* Latency histogram in µs: one bucket per µs below 128, then 64 buckets per power of two. */
#define LATENCY_BUCKETS (128 + 40 * 64)
static uint64_t latency_counts[LATENCY_BUCKETS];
static uint64_t latency_samples, latency_max_us;
static int recording;

static int latency_bucket(uint64_t us)
{
    if (us < 128)
        return (int)us;
    int e = 63 - __builtin_clzll(us); /* 2^e <= us < 2^(e+1), e >= 7 */
    int b = 128 + (e - 7) * 64 + (int)((us >> (e - 6)) - 64);
    return b < LATENCY_BUCKETS ? b : LATENCY_BUCKETS - 1;
}

/* Midpoint of a bucket, in µs. */
static double latency_of_bucket(int b)
{
    if (b < 128)
        return b + 0.5;
    int e = (b - 128) / 64 + 7;
    double width = (double)(1ULL << (e - 6));
    return (double)(((b - 128) % 64) + 64) * width + width / 2;
}

static double latency_percentile(double q)
{
    if (latency_samples == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)latency_samples);
    if (rank >= latency_samples)
        rank = latency_samples - 1;
    uint64_t seen = 0;
    for (int b = 0; b < LATENCY_BUCKETS; b++) {
        seen += latency_counts[b];
        if (seen > rank)
            return latency_of_bucket(b);
    }
    return (double)latency_max_us;
}

static struct conn *conns;
static int nconns = 64, depth = 1, size = 64, frame_mode = 0, busy_poll = 0;
static char *requests;           /* depth requests back to back */
static size_t request_len;       /* one request */
static uint64_t completed, errors, bytes_sent;
static int epfd;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds_of(int pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = 0;
    /* Fields after the command name, which may contain spaces: state is field 3, utime 14, stime 15. */
    char *p = strrchr(line, ')');
    if (!p)
        return -1;
    unsigned long utime = 0, stime = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* Non-idle time of all CPUs (user, nice, system, irq, softirq, steal) from /proc/stat, in seconds. */
static double machine_busy_seconds(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system, &idle, &iowait, &irq, &softirq, &steal);
    fclose(f);
    if (n < 8)
        return -1;
    return (double)(user + nice + system + irq + softirq + steal) / (double)sysconf(_SC_CLK_TCK);
}

static double own_cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void fail(const char *what)
{
    perror(what);
    exit(1);
}

static void set_out_interest(struct conn *c, int want_out)
{
    struct epoll_event ev = { .events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c };
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
        fail("epoll_ctl(MOD)");
}

/* Writes as much of the pending requests as the socket takes; asks for EPOLLOUT only while some remain. */
static void flush_requests(struct conn *c)
{
    while (c->unsent > 0) {
        size_t total = request_len * (size_t)depth;
        ssize_t n = write(c->fd, requests + (total - c->unsent), c->unsent);
        if (n > 0) {
            c->unsent -= (size_t)n;
            bytes_sent += (uint64_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            set_out_interest(c, 1);
            return;
        } else {
            fail("write");
        }
    }
}

static char pattern_at(uint64_t offset_in_message)
{
    return (char)('a' + offset_in_message % 26);
}

/* Echo mode: every byte must be the byte we sent at that position. Returns answers completed. */
static uint64_t consume_echo(struct conn *c, const char *data, size_t n)
{
    uint64_t before = c->received / (uint64_t)size;
    for (size_t i = 0; i < n; i++) {
        if (data[i] != pattern_at((c->received + i) % (uint64_t)size)) {
            errors++;
            break;
        }
    }
    c->received += n;
    return c->received / (uint64_t)size - before;
}

/* Frame mode: walks the answers' framing. Returns answers completed. */
static uint64_t consume_frames(struct conn *c, const char *data, size_t n)
{
    uint64_t done = 0;
    size_t i = 0;
    while (i < n) {
        size_t take = c->need < n - i ? c->need : n - i;
        if (c->state == 0 || c->state == 1) {
            if (c->header_len + take > MAX_HEADER) {
                errors++;
                fprintf(stderr, "answer header over %d bytes\n", MAX_HEADER);
                exit(1);
            }
            memcpy(c->header + c->header_len, data + i, take);
            c->header_len += take;
        }
        i += take;
        c->need -= take;
        if (c->need > 0)
            break;
        if (c->state == 0) {
            c->state = 1;
            c->need = ((size_t)(unsigned char)c->header[0] << 8) | (unsigned char)c->header[1];
            c->header_len = 0;
            if (c->need == 0) {
                fprintf(stderr, "answer with an empty header\n");
                exit(1);
            }
        } else if (c->state == 1) {
            c->header[c->header_len] = 0;
            const char *key = memmem(c->header, c->header_len, "\"content-length\":", 17);
            if (!key) {
                fprintf(stderr, "answer header without content-length: %.*s\n", (int)c->header_len, c->header);
                exit(1);
            }
            c->need = (size_t)strtoul(key + 17, NULL, 10);
            c->state = 2;
            if (c->need == 0) {
                done++;
                c->state = 0;
                c->need = 2;
                c->header_len = 0;
            }
        } else {
            done++;
            c->state = 0;
            c->need = 2;
            c->header_len = 0;
        }
    }
    return done;
}

static void on_readable(struct conn *c, char *buffer)
{
    ssize_t n = read(c->fd, buffer, READ_BUFFER_SIZE);
    if (n == 0) {
        fprintf(stderr, "server closed a connection\n");
        exit(1);
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return;
        fail("read");
    }
    uint64_t answers = frame_mode ? consume_frames(c, buffer, (size_t)n) : consume_echo(c, buffer, (size_t)n);
    if (answers > 0) {
        completed += answers;
        /* Each completed answer retires the oldest request in flight; its successor is queued now. */
        double t = now();
        for (uint64_t k = 0; k < answers; k++) {
            if (recording) {
                double us = (t - c->sent_at[c->sent_head]) * 1e6;
                uint64_t whole = us > 0 ? (uint64_t)us : 0;
                latency_counts[latency_bucket(whole)]++;
                latency_samples++;
                if (whole > latency_max_us)
                    latency_max_us = whole;
            }
            c->sent_at[c->sent_head] = t;
            c->sent_head = c->sent_head + 1 == depth ? 0 : c->sent_head + 1;
        }
        int idle = c->unsent == 0;
        c->unsent += answers * request_len;
        if (idle)
            flush_requests(c);
    }
}

static void usage(void)
{
    fprintf(stderr,
            "usage: loadgen --port P [--host 127.0.0.1] [--connections 64] [--depth 1] [--size 64]\n"
            "               [--frame [--value morpheus]] [--warmup 1] [--duration 4] [--pid SERVER_PID] [--busy-poll]\n");
    exit(2);
}

static long arg_in(const char *value, long lo, long hi, const char *name)
{
    char *end;
    long v = strtol(value, &end, 10);
    if (*end || v < lo || v > hi) {
        fprintf(stderr, "%s must be %ld..%ld\n", name, lo, hi);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    const char *value = "morpheus";
    int port = 0, warmup = 1, duration = 4, pid = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--frame") == 0) { frame_mode = 1; continue; }
        if (strcmp(a, "--busy-poll") == 0) { busy_poll = 1; continue; }
        if (!v) usage();
        if (strcmp(a, "--host") == 0) host = v;
        else if (strcmp(a, "--port") == 0) port = (int)arg_in(v, 1, 65535, "--port");
        else if (strcmp(a, "--connections") == 0) nconns = (int)arg_in(v, 1, MAX_CONNECTIONS, "--connections");
        else if (strcmp(a, "--depth") == 0) depth = (int)arg_in(v, 1, MAX_DEPTH, "--depth");
        else if (strcmp(a, "--size") == 0) size = (int)arg_in(v, 1, MAX_SIZE, "--size");
        else if (strcmp(a, "--value") == 0) value = v;
        else if (strcmp(a, "--warmup") == 0) warmup = (int)arg_in(v, 0, 60, "--warmup");
        else if (strcmp(a, "--duration") == 0) duration = (int)arg_in(v, 1, 120, "--duration");
        else if (strcmp(a, "--pid") == 0) pid = (int)arg_in(v, 1, 1 << 30, "--pid");
        else usage();
        i++;
    }
    if (!port)
        usage();

    /* Connecting must not hang forever either: give connect and the run a generous hard limit. */
    alarm((unsigned)(warmup + duration + 60));
    signal(SIGPIPE, SIG_IGN);

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    /* One request, then depth of them back to back: unsent bytes are always a tail of this buffer. */
    char one[1024];
    if (frame_mode) {
        for (const char *p = value; *p; p++)
            if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) {
                fprintf(stderr, "--value must need no JSON escaping\n");
                return 2;
            }
        char content[512], header[256];
        int content_len = snprintf(content, sizeof content, "{\"action\": \"search\", \"value\": \"%s\"}", value);
        if (content_len >= (int)sizeof content) {
            fprintf(stderr, "--value too long\n");
            return 2;
        }
        int header_len = snprintf(header, sizeof header,
                                  "{\"byteorder\": \"little\", \"content-type\": \"text/json\", "
                                  "\"content-encoding\": \"utf-8\", \"content-length\": %d}", content_len);
        one[0] = (char)(header_len >> 8);
        one[1] = (char)header_len;
        memcpy(one + 2, header, (size_t)header_len);
        memcpy(one + 2 + header_len, content, (size_t)content_len);
        request_len = (size_t)(2 + header_len + content_len);
    } else {
        request_len = (size_t)size;
    }
    requests = malloc(request_len * (size_t)depth);
    if (!requests)
        fail("malloc");
    for (int d = 0; d < depth; d++)
        for (size_t j = 0; j < request_len; j++)
            requests[(size_t)d * request_len + j] = frame_mode ? one[j] : pattern_at(j);

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
        fprintf(stderr, "--host must be an IP address\n");
        return 2;
    }

    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        fail("epoll_create1");
    conns = calloc((size_t)nconns, sizeof *conns);
    if (!conns)
        fail("calloc");
    double connect_start = now();
    for (int i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];
        c->fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0)
            fail("socket");
        if (connect(c->fd, (struct sockaddr *)&addr, addr_len) < 0)
            fail("connect");
        int one_flag = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one_flag, sizeof one_flag);
        fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        c->need = 2;
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
            fail("epoll_ctl(ADD)");
    }
    double connect_seconds = now() - connect_start;

    static char buffer[READ_BUFFER_SIZE];
    struct epoll_event events[1024];
    double *sent_times = malloc(sizeof(double) * (size_t)nconns * (size_t)depth);
    if (!sent_times)
        fail("malloc");
    double first_send = now();
    for (int i = 0; i < nconns; i++) {
        conns[i].sent_at = sent_times + (size_t)i * (size_t)depth;
        for (int d = 0; d < depth; d++)
            conns[i].sent_at[d] = first_send;
        conns[i].unsent = request_len * (size_t)depth;
        flush_requests(&conns[i]);
    }

    double start = now();
    double measure_from = start + warmup, measure_to = measure_from + duration;
    int measuring = 0;
    uint64_t completed_at_start = 0;
    double server_cpu_at_start = 0, client_cpu_at_start = 0, machine_at_start = 0, t0 = start;
    for (;;) {
        double t = now();
        if (!measuring && t >= measure_from) {
            measuring = 1;
            recording = 1;
            t0 = t;
            completed_at_start = completed;
            server_cpu_at_start = pid ? cpu_seconds_of(pid) : 0;
            client_cpu_at_start = own_cpu_seconds();
            machine_at_start = machine_busy_seconds();
        }
        if (measuring && t >= measure_to)
            break;
        int n = epoll_wait(epfd, events, 1024, busy_poll ? 0 : 50);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (events[i].events & EPOLLOUT) {
                flush_requests(c);
                if (c->unsent == 0)
                    set_out_interest(c, 0);
            }
            if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                on_readable(c, buffer);
        }
    }
    double seconds = now() - t0;
    uint64_t messages = completed - completed_at_start;
    double server_cpu = pid ? cpu_seconds_of(pid) - server_cpu_at_start : 0;
    double client_cpu = own_cpu_seconds() - client_cpu_at_start;
    double machine_busy = machine_busy_seconds() - machine_at_start;

    printf("mode=%s connections=%d depth=%d size=%zu connect_s=%.3f seconds=%.3f messages=%llu msg_per_s=%.0f",
           frame_mode ? "frame" : "echo", nconns, depth, request_len, connect_seconds, seconds,
           (unsigned long long)messages, (double)messages / seconds);
    if (pid)
        printf(" server_cpu_s=%.2f cpu_us_per_msg=%.3f", server_cpu, messages ? server_cpu * 1e6 / (double)messages : 0.0);
    printf(" p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%llu", latency_percentile(0.50), latency_percentile(0.99),
           latency_percentile(0.999), (unsigned long long)latency_max_us);
    printf(" client_cpu_s=%.2f machine_busy_s=%.2f total_messages=%llu bytes_sent=%llu errors=%llu\n", client_cpu,
           machine_busy, (unsigned long long)completed, (unsigned long long)bytes_sent, (unsigned long long)errors);
    return errors ? 1 : 0;
}
