/* The data plane's command runner: ip, nft and dnsmasq run as child
 * processes with every descriptor of the daemon closed, their stdin fed
 * from a string and their stdout captured, without a shell. */
#include "network/dataplane/dp.h"

#include "core/core.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the child: default signal handling, no descriptor of ours but 0-2,
 * then exec.  Never returns. */
static void nb_dp_child_exec(const char *const argv[])
{
    sigset_t all;
    int sig;

    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    close_range(3, ~0U, 0);
    execvp(argv[0], (char *const *)argv);
    /* a daemon started without the sbin directories in its PATH */
    if (!strchr(argv[0], '/')) {
        const char *dirs[] = {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"};
        char path[256];

        for (size_t i = 0; i < NB_ARRAY_SIZE(dirs); i++) {
            snprintf(path, sizeof(path), "%s%s", dirs[i], argv[0]);
            execv(path, (char *const *)argv);
        }
    }
    _exit(127);
}

/* Waits for 'pid'; returns 0 when it exited 0, -EIO otherwise. */
static int nb_dp_wait(pid_t pid)
{
    int status;

    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Logs argv (first words) and what it said on stderr. */
static void nb_dp_run_log(const char *const argv[], const char *err, bool quiet)
{
    struct nb_buf cmd = {0};
    int i;

    for (i = 0; argv[i] && i < 8; i++)
        nb_buf_printf(&cmd, "%s%s", i ? " " : "", argv[i]);
    nb_log(quiet ? NB_LOG_DEBUG : NB_LOG_WARN, "dataplane: `%s` failed: %s",
           cmd.buf, err && *err ? err : "(no message)");
    nb_buf_free(&cmd);
}

int nb_dp_run(const char *const argv[], const char *input, char **output,
              bool quiet)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    struct nb_buf obuf = {0}, ebuf = {0};
    size_t ilen = input ? strlen(input) : 0, ioff = 0;
    sigset_t pipe_set, old_set;
    struct timespec zero = {0, 0};
    pid_t pid;
    int r = 0;

    if (output)
        *output = NULL;
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
        pipe2(err, O_CLOEXEC) < 0) {
        r = -errno;
        goto out;
    }
    pid = fork();
    if (pid < 0) {
        r = -errno;
        goto out;
    }
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        nb_dp_child_exec(argv);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    in[0] = out[1] = err[1] = -1;
    if (ilen == 0) {
        close(in[1]);
        in[1] = -1;
    }
    /* a child that exits without reading its input must not kill us */
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
    while (out[0] >= 0 || err[0] >= 0 || in[1] >= 0) {
        struct pollfd p[3] = {
            {.fd = in[1], .events = POLLOUT},
            {.fd = out[0], .events = POLLIN},
            {.fd = err[0], .events = POLLIN},
        };
        char chunk[16384];
        ssize_t n;
        int i;

        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents) {
            n = write(in[1], input + ioff, ilen - ioff);
            if (n > 0)
                ioff += (size_t)n;
            if (n < 0 || ioff == ilen) {
                close(in[1]);
                in[1] = -1;
            }
        }
        for (i = 1; i < 3; i++) {
            int *fd = i == 1 ? &out[0] : &err[0];

            if (!p[i].revents)
                continue;
            n = read(*fd, chunk, sizeof(chunk));
            if (n > 0) {
                nb_buf_add(i == 1 ? &obuf : &ebuf, chunk, (size_t)n);
            } else if (n == 0 || errno != EINTR) {
                close(*fd);
                *fd = -1;
            }
        }
    }
    while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
        ;
    pthread_sigmask(SIG_SETMASK, &old_set, NULL);
    r = nb_dp_wait(pid);
    if (r < 0)
        nb_dp_run_log(argv, ebuf.buf, quiet);
    if (output && r == 0) {
        nb_buf_add(&obuf, "", 0);
        *output = obuf.buf ? nb_buf_steal(&obuf) : nb_xstrdup("");
    }
out:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (out[i] >= 0)
            close(out[i]);
        if (err[i] >= 0)
            close(err[i]);
    }
    nb_buf_free(&obuf);
    nb_buf_free(&ebuf);
    return r;
}

int nb_dp_run_logged(const char *const argv[], const char *log)
{
    pid_t pid;
    int fd, r;

    fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    pid = fork();
    if (pid < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    if (pid == 0) {
        int nul = open("/dev/null", O_RDONLY);

        dup2(nul, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        nb_dp_child_exec(argv);
    }
    close(fd);
    r = nb_dp_wait(pid);
    if (r < 0)
        nb_dp_run_log(argv, "see its log", false);
    return r;
}

int nb_dp_ip_batch(const char *ns, const char *cmds)
{
    const char *in_ns[] = {"ip", "-n", ns, "-force", "-batch", "-", NULL};
    const char *here[] = {"ip", "-force", "-batch", "-", NULL};

    if (!cmds || !*cmds)
        return 0;
    return nb_dp_run(ns ? in_ns : here, cmds, NULL, false);
}

int nb_dp_ip_json(const char *ns, const char *const args[], json_t **out)
{
    const char *argv[16];
    char *text = NULL;
    json_error_t jerr;
    size_t n = 0;
    int r;

    *out = NULL;
    argv[n++] = "ip";
    if (ns) {
        argv[n++] = "-n";
        argv[n++] = ns;
    }
    argv[n++] = "-j";
    for (size_t i = 0; args[i] && n < NB_ARRAY_SIZE(argv) - 1; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    r = nb_dp_run(argv, NULL, &text, true);
    if (r < 0)
        goto out;
    *out = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!*out) {
        nb_warn("dataplane: cannot parse `ip -j` output: %s", jerr.text);
        r = -EIO;
    }
out:
    free(text);
    return r;
}
