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
 * --oneshot opens a new connection for every request, as the tutorial's clients do: C connections at once, each
 * connecting, sending one request (an echo, or a search with --frame), reading its answer and closing, then
 * replaced by a new one. Its latency runs from the connect to the end of the answer (the TCP and, with --tls, the
 * TLS handshake included); messages counts connections that completed their request.
 *
 * --storm opens the C connections all at once, as clients reconnecting after a server restart or a failover do:
 * every connect is started (non-blocking) before any completes; each connection sends one request as soon as it is
 * connected, reads its answer and stays open. It prints seconds from the first connect to the last answer
 * (storm_s), when the last connect completed (connected_s) and the server's CPU over it; --duration bounds the
 * wait, and connections unanswered by then are errors. No warm-up, no latency.
 *
 * --per-second adds per_second=N1,N2,... to the report: answers completed in each whole second since the first
 * request was sent (warm-up included), for a server's first seconds after it starts (--warmup 0).
 *
 * --tls speaks TLS (OpenSSL, non-blocking, on the same epoll loop) on every connection: TLS 1.3 only and the one
 * cipher suite TLS_AES_128_GCM_SHA256 unless --tls-version / --tls-ciphersuites say otherwise, so every server is
 * measured with the same cryptography. The server's certificate is not checked (benchmark use) unless --tls-ca
 * names a PEM CA to verify it against (and the address it was given); --tls-client-cert/--tls-client-key present a
 * client certificate (mutual TLS). In echo and frame runs the handshakes all happen before the first request, off
 * the clock; with --oneshot every connection pays one. The report adds the version, cipher suite, key exchange
 * group and server key that the first handshake negotiated. bytes_sent counts request bytes before encryption.
 * Without OpenSSL's headers at build time (Debian: libssl-dev) the program is built without TLS and --tls is
 * refused with exit 2; `loadgen --version` says which build it is.
 *
 * Usage: loadgen --port P [--host 127.0.0.1] [--connections 64] [--depth 1] [--size 64] [--frame [--value K]]
 *                [--oneshot | --storm] [--warmup 1] [--duration 4] [--pid SERVER_PID] [--busy-poll] [--per-second]
 *                [--tls [--tls-ca FILE] [--tls-client-cert FILE --tls-client-key FILE]
 *                       [--tls-version 1.3|1.2] [--tls-ciphersuites LIST]]
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
#ifdef LOADGEN_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#endif

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
    /* Only --oneshot and --tls use what follows. */
    int phase;            /* --oneshot: PHASE_* */
    uint32_t interest;    /* --oneshot: the epoll events asked for */
    double opened_at;     /* --oneshot: when its connect started */
#ifdef LOADGEN_TLS
    SSL *ssl;
    int write_wants_read; /* SSL_write asked for a read first: retried after the next read */
    int read_wants_write; /* SSL_read asked for a write first: retried when the socket is writable */
#endif
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
/* --per-second: completed at each whole second of the run (warm-up and duration are at most 180 s together). */
#define MAX_SECONDS 181
static int per_second;
static uint64_t completed_by_second[MAX_SECONDS];
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

static void record_latency(double us)
{
    uint64_t whole = us > 0 ? (uint64_t)us : 0;
    latency_counts[latency_bucket(whole)]++;
    latency_samples++;
    if (whole > latency_max_us)
        latency_max_us = whole;
}

#ifdef LOADGEN_TLS
static void tls_flush_requests(struct conn *c);
#endif

/* Each completed answer retires the oldest request in flight; its successor is queued now. Inlined, so the
 * plain path (tls a constant 0) is what it was before TLS existed. */
static inline __attribute__((always_inline)) void complete_answers(struct conn *c, uint64_t answers, int tls)
{
    completed += answers;
    double t = now();
    for (uint64_t k = 0; k < answers; k++) {
        if (recording)
            record_latency((t - c->sent_at[c->sent_head]) * 1e6);
        c->sent_at[c->sent_head] = t;
        c->sent_head = c->sent_head + 1 == depth ? 0 : c->sent_head + 1;
    }
    int idle = c->unsent == 0;
    c->unsent += answers * request_len;
    if (idle) {
#ifdef LOADGEN_TLS
        if (tls) {
            tls_flush_requests(c);
            return;
        }
#else
        (void)tls;
#endif
        flush_requests(c);
    }
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
    if (answers > 0)
        complete_answers(c, answers, 0);
}

/* ---------------------------------------------------------------------------------------------------------
 * TLS (OpenSSL on non-blocking sockets): handshakes, then SSL_read/SSL_write where the plain path reads and writes. */
static int use_tls;

#ifdef LOADGEN_TLS
static SSL_CTX *tls_ctx;
static int tls_verify;
static const char *tls_host;
static char tls_report[512]; /* what the first handshake negotiated, as key=value pairs */

/* What went wrong in an SSL call that returned r, in words (OpenSSL's error queue, or errno). */
static void tls_error_text(SSL *ssl, int r, char *out, size_t len)
{
    int e = SSL_get_error(ssl, r);
    unsigned long code = ERR_get_error();
    if (code) {
        char reason[256];
        ERR_error_string_n(code, reason, sizeof reason);
        long verify = SSL_get_verify_result(ssl);
        if (verify != X509_V_OK)
            snprintf(out, len, "%s (certificate: %s)", reason, X509_verify_cert_error_string(verify));
        else
            snprintf(out, len, "%s", reason);
    } else if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && r == 0)) {
        snprintf(out, len, "the server closed the connection");
    } else if (e == SSL_ERROR_SYSCALL) {
        snprintf(out, len, "%s", strerror(errno));
    } else {
        snprintf(out, len, "SSL error %d", e);
    }
    ERR_clear_error();
}

static void tls_die(SSL *ssl, int r, const char *what)
{
    char text[512];
    tls_error_text(ssl, r, text, sizeof text);
    fprintf(stderr, "%s: %s\n", what, text);
    exit(1);
}

static int tls_accept_any_chain(X509_STORE_CTX *store, void *arg)
{
    (void)store, (void)arg;
    return 1;
}

static void tls_setup(const char *ca, const char *cert, const char *key, int version, const char *suites)
{
    tls_ctx = SSL_CTX_new(TLS_client_method());
    if (!tls_ctx) {
        fprintf(stderr, "SSL_CTX_new failed\n");
        exit(1);
    }
    int v = version == 12 ? TLS1_2_VERSION : TLS1_3_VERSION;
    SSL_CTX_set_min_proto_version(tls_ctx, v);
    SSL_CTX_set_max_proto_version(tls_ctx, v);
    if (v == TLS1_3_VERSION ? !SSL_CTX_set_ciphersuites(tls_ctx, suites ? suites : "TLS_AES_128_GCM_SHA256")
                            : !SSL_CTX_set_cipher_list(tls_ctx, suites ? suites : "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256")) {
        fprintf(stderr, "--tls-ciphersuites: OpenSSL takes none of '%s'\n", suites);
        exit(2);
    }
    /* Write what the socket takes (one record at a time) and retry from a buffer start that moved; read whole
     * socket buffers at once rather than one record header and body per read(). No session cache: every
     * connection makes a full handshake. */
    SSL_CTX_set_mode(tls_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(tls_ctx, 1);
    SSL_CTX_set_session_cache_mode(tls_ctx, SSL_SESS_CACHE_OFF);
    if (ca) {
        if (SSL_CTX_load_verify_locations(tls_ctx, ca, NULL) != 1) {
            fprintf(stderr, "--tls-ca %s: not a PEM certificate file\n", ca);
            exit(2);
        }
        SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_PEER, NULL);
        tls_verify = 1;
    } else {
        /* Not checking: skip building and checking the chain altogether (OpenSSL would do it and then ignore
         * the result), so the generator spends on a handshake only what the protocol needs. */
        SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_NONE, NULL);
        SSL_CTX_set_cert_verify_callback(tls_ctx, tls_accept_any_chain, NULL);
    }
    if (cert || key) {
        if (!cert || !key) {
            fprintf(stderr, "--tls-client-cert and --tls-client-key go together\n");
            exit(2);
        }
        if (SSL_CTX_use_certificate_chain_file(tls_ctx, cert) != 1 || SSL_CTX_use_PrivateKey_file(tls_ctx, key, SSL_FILETYPE_PEM) != 1
            || SSL_CTX_check_private_key(tls_ctx) != 1) {
            fprintf(stderr, "--tls-client-cert %s / --tls-client-key %s: not a matching PEM certificate and key\n", cert, key);
            exit(2);
        }
    }
}

static SSL *tls_new(int fd)
{
    SSL *ssl = SSL_new(tls_ctx);
    if (!ssl || SSL_set_fd(ssl, fd) != 1) {
        fprintf(stderr, "SSL_new failed\n");
        exit(1);
    }
    SSL_set_connect_state(ssl);
    /* With --tls-ca the certificate must also be the address's (hosts here are IP addresses). */
    if (tls_verify && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), tls_host) != 1) {
        fprintf(stderr, "cannot check the certificate against %s\n", tls_host);
        exit(2);
    }
    return ssl;
}

static void tls_note(SSL *ssl)
{
    if (tls_report[0])
        return;
    int group = SSL_get_negotiated_group(ssl);
    const char *group_name = group ? SSL_group_to_name(ssl, group) : NULL;
    char key[64] = "unknown";
    X509 *peer = SSL_get0_peer_certificate(ssl);
    EVP_PKEY *pkey = peer ? X509_get0_pubkey(peer) : NULL;
    if (pkey) {
        int id = EVP_PKEY_get_id(pkey);
        snprintf(key, sizeof key, "%s-%d", id == EVP_PKEY_EC ? "EC" : id == EVP_PKEY_RSA ? "RSA" : OBJ_nid2sn(id), EVP_PKEY_get_bits(pkey));
    }
    snprintf(tls_report, sizeof tls_report, " tls_version=%s tls_cipher=%s tls_group=%s tls_server_key=%s", SSL_get_version(ssl),
             SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)), group_name ? group_name : "unknown", key);
}

/* One step of a handshake: 1 when it is done, 2 when it waits to read, 3 to write, -1 on failure (text in err). */
static int tls_handshake_step(SSL *ssl, char *err, size_t err_len)
{
    int r = SSL_do_handshake(ssl);
    if (r == 1) {
        tls_note(ssl);
        return 1;
    }
    int e = SSL_get_error(ssl, r);
    if (e == SSL_ERROR_WANT_READ)
        return 2;
    if (e == SSL_ERROR_WANT_WRITE)
        return 3;
    tls_error_text(ssl, r, err, err_len);
    return -1;
}

/* Echo and frame runs: one step of a kept-open connection's handshake (phase 1 once it is done). */
static void tls_kept_open_step(struct conn *c, int *pending)
{
    char err[512];
    if (c->phase)
        return;
    int r = tls_handshake_step(c->ssl, err, sizeof err);
    if (r == 1) {
        c->phase = 1;
        (*pending)--;
        set_out_interest(c, 0);
    } else if (r == 2 || r == 3) {
        set_out_interest(c, r == 3);
    } else {
        fprintf(stderr, "TLS handshake failed: %s\n", err);
        exit(1);
    }
}

/* Echo and frame runs: every connection's handshake, all at once on the epoll loop, before the first request. */
static void tls_handshake_all(void)
{
    struct epoll_event events[1024];
    int pending = nconns;
    for (int i = 0; i < nconns; i++) {
        conns[i].ssl = tls_new(conns[i].fd);
        tls_kept_open_step(&conns[i], &pending);
    }
    while (pending > 0) {
        int n = epoll_wait(epfd, events, 1024, 1000);
        if (n < 0 && errno != EINTR)
            fail("epoll_wait");
        for (int j = 0; j < n; j++)
            tls_kept_open_step(events[j].data.ptr, &pending);
    }
}

/* flush_requests over TLS. Every request is the same bytes and the unsent ones are a tail of `requests`, so
 * when answers queue more requests while a write waits (WANT_WRITE), the retry's buffer starts earlier by whole
 * requests, with the same bytes: SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER allows the move, and the length only grows. */
static void tls_flush_requests(struct conn *c)
{
    size_t total = request_len * (size_t)depth;
    while (c->unsent > 0) {
        int n = SSL_write(c->ssl, requests + (total - c->unsent), (int)c->unsent);
        if (n > 0) {
            c->unsent -= (size_t)n;
            bytes_sent += (uint64_t)n;
            continue;
        }
        int e = SSL_get_error(c->ssl, n);
        if (e == SSL_ERROR_WANT_WRITE) {
            set_out_interest(c, 1);
            return;
        }
        if (e == SSL_ERROR_WANT_READ) {
            c->write_wants_read = 1;
            return;
        }
        tls_die(c->ssl, n, "SSL_write");
    }
}

/* on_readable over TLS: reads until OpenSSL holds nothing more (with read-ahead it may hold whole records the
 * socket no longer shows to epoll). */
static void tls_on_readable(struct conn *c, char *buffer)
{
    for (;;) {
        int n = SSL_read(c->ssl, buffer, READ_BUFFER_SIZE);
        if (n <= 0) {
            int e = SSL_get_error(c->ssl, n);
            if (e == SSL_ERROR_WANT_READ)
                break;
            if (e == SSL_ERROR_WANT_WRITE) {
                c->read_wants_write = 1;
                set_out_interest(c, 1);
                break;
            }
            if (e == SSL_ERROR_ZERO_RETURN) {
                fprintf(stderr, "server closed a connection\n");
                exit(1);
            }
            tls_die(c->ssl, n, "SSL_read");
        }
        uint64_t answers = frame_mode ? consume_frames(c, buffer, (size_t)n) : consume_echo(c, buffer, (size_t)n);
        if (answers > 0)
            complete_answers(c, answers, 1);
        if (!SSL_has_pending(c->ssl))
            break;
    }
    if (c->write_wants_read) {
        c->write_wants_read = 0;
        tls_flush_requests(c);
    }
}

static void tls_on_event(struct conn *c, uint32_t events, char *buffer)
{
    if (events & EPOLLOUT) {
        if (c->read_wants_write) {
            c->read_wants_write = 0;
            tls_on_readable(c, buffer);
        }
        tls_flush_requests(c);
        if (c->unsent == 0 && !c->read_wants_write)
            set_out_interest(c, 0);
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        tls_on_readable(c, buffer);
}
#endif

/* ---------------------------------------------------------------------------------------------------------
 * --oneshot: one request per connection. Each of the nconns slots connects (non-blocking), shakes hands with
 * --tls, sends its request, reads the answer, closes, and is opened again after the current batch of events. */
enum { PHASE_CONNECTING, PHASE_HANDSHAKE, PHASE_SENDING, PHASE_RECEIVING };
static int oneshot;
static struct sockaddr_storage target;
static socklen_t target_len;
static int *reopen, *reopen_now, reopen_count;
static char first_error[1024];

static void set_interest(struct conn *c, uint32_t events)
{
    if (c->interest == events)
        return;
    struct epoll_event ev = { .events = events, .data.ptr = c };
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
        fail("epoll_ctl(MOD)");
    c->interest = events;
}

static void oneshot_close(struct conn *c, int answered)
{
#ifdef LOADGEN_TLS
    if (c->ssl) {
        if (answered)
            SSL_shutdown(c->ssl); /* a close_notify, as a TLS client that is done sends */
        SSL_free(c->ssl);
        c->ssl = NULL;
        ERR_clear_error();
    }
#else
    (void)answered;
#endif
    close(c->fd);
    c->fd = -1;
    reopen[reopen_count++] = (int)(c - conns);
}

static void oneshot_error(struct conn *c, const char *what, const char *detail)
{
    errors++;
    if (!first_error[0])
        snprintf(first_error, sizeof first_error, "%s: %s", what, detail);
    oneshot_close(c, 0);
}

static void oneshot_open(struct conn *c)
{
    c->fd = socket(target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        fail("socket");
    int one_flag = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one_flag, sizeof one_flag);
    c->opened_at = now();
    c->unsent = request_len;
    c->received = 0;
    c->state = 0;
    c->need = 2;
    c->header_len = 0;
    c->phase = PHASE_CONNECTING;
    c->interest = EPOLLOUT;
    struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
        fail("epoll_ctl(ADD)");
    if (connect(c->fd, (struct sockaddr *)&target, target_len) < 0 && errno != EINPROGRESS)
        oneshot_error(c, "connect", strerror(errno));
}

static void oneshot_reopen(void)
{
    int k = reopen_count;
    memcpy(reopen_now, reopen, sizeof(int) * (size_t)k);
    reopen_count = 0;
    for (int j = 0; j < k; j++)
        oneshot_open(&conns[reopen_now[j]]);
}

#ifdef LOADGEN_TLS
/* After an SSL_read/SSL_write that did not complete: waits for what OpenSSL needs (WANT_READ/WANT_WRITE), or
 * counts the error and closes. */
static void oneshot_tls_stalled(struct conn *c, const char *what, int r)
{
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
        set_interest(c, e == SSL_ERROR_WANT_WRITE ? EPOLLOUT : EPOLLIN);
        return;
    }
    char text[512];
    tls_error_text(c->ssl, r, text, sizeof text);
    oneshot_error(c, what, text);
}
#endif

static void oneshot_send(struct conn *c)
{
    while (c->unsent > 0) {
        const char *from = requests + (request_len - c->unsent);
#ifdef LOADGEN_TLS
        if (c->ssl) {
            int n = SSL_write(c->ssl, from, (int)c->unsent);
            if (n > 0) {
                c->unsent -= (size_t)n;
                bytes_sent += (uint64_t)n;
                continue;
            }
            oneshot_tls_stalled(c, "SSL_write", n);
            return;
        }
#endif
        ssize_t n = write(c->fd, from, c->unsent);
        if (n > 0) {
            c->unsent -= (size_t)n;
            bytes_sent += (uint64_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            set_interest(c, EPOLLOUT);
            return;
        } else {
            oneshot_error(c, "write", strerror(errno));
            return;
        }
    }
    c->phase = PHASE_RECEIVING;
    set_interest(c, EPOLLIN);
}

static void oneshot_receive(struct conn *c, char *buffer)
{
    for (;;) {
        ssize_t n;
#ifdef LOADGEN_TLS
        if (c->ssl) {
            int r = SSL_read(c->ssl, buffer, READ_BUFFER_SIZE);
            if (r <= 0) {
                oneshot_tls_stalled(c, "read", r);
                return;
            }
            n = r;
        } else
#endif
        {
            n = read(c->fd, buffer, READ_BUFFER_SIZE);
            if (n == 0) {
                oneshot_error(c, "read", "the server closed the connection before answering");
                return;
            }
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    return;
                oneshot_error(c, "read", strerror(errno));
                return;
            }
        }
        uint64_t errors_before = errors;
        uint64_t answers = frame_mode ? consume_frames(c, buffer, (size_t)n) : consume_echo(c, buffer, (size_t)n);
        if (errors != errors_before) {
            errors = errors_before;
            oneshot_error(c, "read", "the echo differs from what was sent");
            return;
        }
        if (answers > 0) {
            completed++;
            if (recording)
                record_latency((now() - c->opened_at) * 1e6);
            oneshot_close(c, 1);
            return;
        }
#ifdef LOADGEN_TLS
        if (c->ssl && SSL_has_pending(c->ssl))
            continue;
#endif
        return;
    }
}

static void oneshot_event(struct conn *c, uint32_t events, char *buffer)
{
    switch (c->phase) {
    case PHASE_CONNECTING: {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err || !(events & EPOLLOUT)) {
            oneshot_error(c, "connect", strerror(err ? err : ECONNREFUSED));
            return;
        }
#ifdef LOADGEN_TLS
        if (use_tls) {
            c->ssl = tls_new(c->fd);
            c->phase = PHASE_HANDSHAKE;
            goto handshake;
        }
#endif
        c->phase = PHASE_SENDING;
        oneshot_send(c);
        return;
    }
    case PHASE_HANDSHAKE: {
#ifdef LOADGEN_TLS
    handshake:;
        char err[512];
        int r = tls_handshake_step(c->ssl, err, sizeof err);
        if (r == 1) {
            c->phase = PHASE_SENDING;
            oneshot_send(c);
        } else if (r == 2 || r == 3) {
            set_interest(c, r == 3 ? EPOLLOUT : EPOLLIN);
        } else {
            oneshot_error(c, "TLS handshake", err);
        }
#endif
        return;
    }
    case PHASE_SENDING:
        oneshot_send(c);
        return;
    default:
        oneshot_receive(c, buffer);
        return;
    }
}

/* ---------------------------------------------------------------------------------------------------------
 * --storm: every connection opened at once, one request each, all kept open until the last is answered. */
static int storm;

static int storm_run(const struct sockaddr_storage *addr, socklen_t addr_len, int duration, int pid)
{
    double server_cpu_start = pid ? cpu_seconds_of(pid) : 0;
    double start = now(), connected_at = start, deadline = start + duration;
    int connected = 0, answered = 0;
    for (int i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];
        c->fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0)
            fail("socket");
        int one_flag = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one_flag, sizeof one_flag);
        c->unsent = request_len;
        c->need = 2;
        c->phase = 0;
        struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
            fail("epoll_ctl(ADD)");
        if (connect(c->fd, (const struct sockaddr *)addr, addr_len) < 0 && errno != EINPROGRESS) {
            errors++;
            if (!first_error[0])
                snprintf(first_error, sizeof first_error, "connect: %s", strerror(errno));
            c->phase = 2;
        }
    }
    static char buffer[READ_BUFFER_SIZE];
    struct epoll_event events[1024];
    while (answered + (int)errors < nconns) {
        double t = now();
        if (t >= deadline)
            break;
        int n = epoll_wait(epfd, events, 1024, (int)((deadline - t) * 1000) + 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c->phase == 2)
                continue;
            if (c->phase == 0) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err) {
                    errors++;
                    if (!first_error[0])
                        snprintf(first_error, sizeof first_error, "connect: %s", strerror(err));
                    c->phase = 2;
                    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
                    continue;
                }
                c->phase = 1;
                if (++connected == nconns)
                    connected_at = now();
                ssize_t w = write(c->fd, requests, request_len); /* a fresh socket takes one small request whole */
                if (w != (ssize_t)request_len) {
                    errors++;
                    c->phase = 2;
                    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
                    continue;
                }
                bytes_sent += request_len;
                struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
                if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
                    fail("epoll_ctl(MOD)");
                continue;
            }
            ssize_t r = read(c->fd, buffer, READ_BUFFER_SIZE);
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (r <= 0) {
                errors++;
                if (!first_error[0])
                    snprintf(first_error, sizeof first_error, "read: %s", r == 0 ? "closed by the server" : strerror(errno));
                c->phase = 2;
                epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
                continue;
            }
            if ((frame_mode ? consume_frames(c, buffer, (size_t)r) : consume_echo(c, buffer, (size_t)r)) > 0) {
                answered++;
                completed++;
                c->phase = 2;
                epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
            }
        }
    }
    double seconds = now() - start;
    double server_cpu = pid ? cpu_seconds_of(pid) - server_cpu_start : 0;
    uint64_t unanswered = (uint64_t)(nconns - answered) - errors;
    errors += unanswered;
    printf("mode=storm-%s connections=%d answered=%d storm_s=%.3f connected_s=%.3f", frame_mode ? "frame" : "echo", nconns,
           answered, seconds, (connected == nconns ? connected_at : now()) - start);
    if (pid)
        printf(" server_cpu_s=%.2f", server_cpu);
    printf(" bytes_sent=%llu errors=%llu\n", (unsigned long long)bytes_sent, (unsigned long long)errors);
    if (first_error[0])
        fprintf(stderr, "first error: %s\n", first_error);
    else if (unanswered)
        fprintf(stderr, "first error: %llu connection(s) unanswered after %d s\n", (unsigned long long)unanswered, duration);
    for (int i = 0; i < nconns; i++)
        close(conns[i].fd);
    return errors ? 1 : 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: loadgen --port P [--host 127.0.0.1] [--connections 64] [--depth 1] [--size 64]\n"
            "               [--frame [--value morpheus]] [--oneshot | --storm] [--warmup 1] [--duration 4] [--pid SERVER_PID]\n"
            "               [--busy-poll] [--per-second]\n"
            "               [--tls [--tls-ca FILE] [--tls-client-cert FILE --tls-client-key FILE]\n"
            "                      [--tls-version 1.3|1.2] [--tls-ciphersuites LIST]]\n"
            "       loadgen --version\n");
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
    int port = 0, warmup = 1, duration = 4, pid = 0, tls_version = 13;
    const char *tls_ca = NULL, *tls_cert = NULL, *tls_key = NULL, *tls_suites = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--frame") == 0) { frame_mode = 1; continue; }
        if (strcmp(a, "--busy-poll") == 0) { busy_poll = 1; continue; }
        if (strcmp(a, "--oneshot") == 0) { oneshot = 1; continue; }
        if (strcmp(a, "--storm") == 0) { storm = 1; continue; }
        if (strcmp(a, "--per-second") == 0) { per_second = 1; continue; }
        if (strcmp(a, "--tls") == 0) { use_tls = 1; continue; }
        if (strcmp(a, "--version") == 0) {
#ifdef LOADGEN_TLS
            printf("loadgen tls=%s\n", OpenSSL_version(OPENSSL_VERSION));
#else
            printf("loadgen tls=none\n");
#endif
            return 0;
        }
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
        else if (strcmp(a, "--tls-ca") == 0) { tls_ca = v; use_tls = 1; }
        else if (strcmp(a, "--tls-client-cert") == 0) { tls_cert = v; use_tls = 1; }
        else if (strcmp(a, "--tls-client-key") == 0) { tls_key = v; use_tls = 1; }
        else if (strcmp(a, "--tls-ciphersuites") == 0) { tls_suites = v; use_tls = 1; }
        else if (strcmp(a, "--tls-version") == 0) {
            if (strcmp(v, "1.3") != 0 && strcmp(v, "1.2") != 0) {
                fprintf(stderr, "--tls-version must be 1.3 or 1.2\n");
                return 2;
            }
            tls_version = v[2] == '3' ? 13 : 12;
            use_tls = 1;
        }
        else usage();
        i++;
    }
    if (!port)
        usage();
    if (storm && (oneshot || use_tls || depth != 1)) {
        fprintf(stderr, "--storm sends one plain request per connection: no --oneshot, --tls or --depth\n");
        return 2;
    }
    if (oneshot && depth != 1) {
        fprintf(stderr, "--oneshot sends one request per connection: --depth must be 1\n");
        return 2;
    }
#ifdef LOADGEN_TLS
    if (use_tls)
        tls_setup(tls_ca, tls_cert, tls_key, tls_version, tls_suites);
#else
    (void)tls_ca, (void)tls_cert, (void)tls_key, (void)tls_suites, (void)tls_version;
    if (use_tls) {
        fprintf(stderr, "--tls: this loadgen was built without TLS (no OpenSSL headers at build time); "
                        "install libssl-dev and run make -C bench/loadgen-c again\n");
        return 2;
    }
#endif

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
    memcpy(&target, &addr, sizeof addr);
    target_len = addr_len;
#ifdef LOADGEN_TLS
    tls_host = host;
#endif
    if (storm)
        return storm_run(&addr, addr_len, duration, pid);
    double connect_start = now();
    for (int i = 0; i < nconns && !oneshot; i++) {
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
#ifdef LOADGEN_TLS
    if (use_tls && !oneshot)
        tls_handshake_all();
#endif
    double connect_seconds = now() - connect_start;

    static char buffer[READ_BUFFER_SIZE];
    struct epoll_event events[1024];
    double *sent_times = malloc(sizeof(double) * (size_t)nconns * (size_t)depth);
    if (!sent_times)
        fail("malloc");
    if (oneshot) {
        reopen = malloc(sizeof(int) * (size_t)nconns);
        reopen_now = malloc(sizeof(int) * (size_t)nconns);
        if (!reopen || !reopen_now)
            fail("malloc");
    }
    double first_send = now();
    for (int i = 0; i < nconns; i++) {
        conns[i].sent_at = sent_times + (size_t)i * (size_t)depth;
        for (int d = 0; d < depth; d++)
            conns[i].sent_at[d] = first_send;
        if (oneshot) {
            oneshot_open(&conns[i]);
            continue;
        }
        conns[i].unsent = request_len * (size_t)depth;
#ifdef LOADGEN_TLS
        if (use_tls) {
            tls_flush_requests(&conns[i]);
            continue;
        }
#endif
        flush_requests(&conns[i]);
    }
    int special = oneshot || use_tls; /* not the plain kept-open path */

    double start = now();
    double measure_from = start + warmup, measure_to = measure_from + duration;
    int measuring = 0;
    uint64_t completed_at_start = 0;
    double server_cpu_at_start = 0, client_cpu_at_start = 0, machine_at_start = 0, t0 = start;
    int next_second = 1;
    for (;;) {
        double t = now();
        while (per_second && next_second < MAX_SECONDS && t >= start + next_second)
            completed_by_second[next_second++] = completed;
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
            if (special) {
#ifdef LOADGEN_TLS
                if (!oneshot) {
                    tls_on_event(c, events[i].events, buffer);
                    continue;
                }
#endif
                oneshot_event(c, events[i].events, buffer);
                continue;
            }
            if (events[i].events & EPOLLOUT) {
                flush_requests(c);
                if (c->unsent == 0)
                    set_out_interest(c, 0);
            }
            if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                on_readable(c, buffer);
        }
        if (oneshot && reopen_count > 0)
            oneshot_reopen();
    }
    double seconds = now() - t0;
    uint64_t messages = completed - completed_at_start;
    double server_cpu = pid ? cpu_seconds_of(pid) - server_cpu_at_start : 0;
    double client_cpu = own_cpu_seconds() - client_cpu_at_start;
    double machine_busy = machine_busy_seconds() - machine_at_start;

    printf("mode=%s connections=%d depth=%d size=%zu connect_s=%.3f seconds=%.3f messages=%llu msg_per_s=%.0f",
           oneshot ? (frame_mode ? "oneshot-frame" : "oneshot-echo") : frame_mode ? "frame" : "echo", nconns, depth, request_len, connect_seconds, seconds,
           (unsigned long long)messages, (double)messages / seconds);
    if (pid)
        printf(" server_cpu_s=%.2f cpu_us_per_msg=%.3f", server_cpu, messages ? server_cpu * 1e6 / (double)messages : 0.0);
    printf(" p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%llu", latency_percentile(0.50), latency_percentile(0.99),
           latency_percentile(0.999), (unsigned long long)latency_max_us);
    printf(" client_cpu_s=%.2f machine_busy_s=%.2f total_messages=%llu bytes_sent=%llu errors=%llu", client_cpu,
           machine_busy, (unsigned long long)completed, (unsigned long long)bytes_sent, (unsigned long long)errors);
#ifdef LOADGEN_TLS
    if (use_tls)
        printf(" tls=1%s", tls_report[0] ? tls_report : " tls_version=none");
#endif
    if (per_second) {
        printf(" per_second=");
        for (int k = 1; k < next_second; k++)
            printf("%s%llu", k > 1 ? "," : "", (unsigned long long)(completed_by_second[k] - completed_by_second[k - 1]));
    }
    putchar('\n');
    if (first_error[0])
        fprintf(stderr, "first error: %s\n", first_error);
    return errors ? 1 : 0;
}
