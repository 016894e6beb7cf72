/* measure.c — run one program, report its wall time and peak resident set.
 *
 *   own-bench-measure [-t SECONDS] [-o FILE] [-e NAME=VALUE]... -- PROG ARGS...
 *
 * The program runs in a child of this small process (so the peak RSS that
 * wait4 reports is the program's, with only this process's few pages as the
 * floor that a fork copies), in its own process group, with the -e variables
 * added to its environment (LD_PRELOAD goes there, so only the program, not
 * this runner, is on the allocator under test). After SECONDS it is killed,
 * group and all. Written to FILE (default stderr), one "key value" a line:
 *   status exit|signal|timeout|spawn-failed
 *   code   exit code or signal number
 *   wall   seconds, monotonic clock, fork to reap
 *   maxrss_kb  the largest resident set of the program or any descendant it
 *              waited for (ru_maxrss of wait4)
 *   user, sys  CPU seconds
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double tv(struct timeval t)
{
    return (double)t.tv_sec + (double)t.tv_usec * 1e-6;
}

int main(int argc, char **argv)
{
    unsigned timeout = 0;
    const char *out_path = NULL;
    char *envs[64];
    int nenv = 0, i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc)
            break;
        if (strcmp(argv[i], "-t") == 0)
            timeout = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "-o") == 0)
            out_path = argv[++i];
        else if (strcmp(argv[i], "-e") == 0 && nenv < 64 && strchr(argv[i + 1], '=') != NULL)
            envs[nenv++] = argv[++i];
        else
            break;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: %s [-t SECONDS] [-o FILE] [-e NAME=VALUE]... -- PROG ARGS...\n", argv[0]);
        return 2;
    }
    FILE *out = stderr;
    if (out_path != NULL && (out = fopen(out_path, "w")) == NULL) {
        perror(out_path);
        return 2;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: wait4 returns EINTR */

    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        setpgid(0, 0);
        for (int k = 0; k < nenv; k++)
            putenv(envs[k]);
        execvp(argv[i], argv + i);
        fprintf(stderr, "cannot run %s: %s\n", argv[i], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    if (timeout > 0)
        alarm(timeout);

    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    for (;;) {
        pid_t r = wait4(pid, &status, 0, &ru);
        if (r == pid)
            break;
        if (r < 0 && errno == EINTR) {
            if (timed_out) {
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
            }
            continue;
        }
        perror("wait4");
        return 2;
    }
    double t1 = now();
    alarm(0);
    if (timed_out)
        kill(-pid, SIGKILL); /* whatever the program left behind */

    if (timed_out)
        fprintf(out, "status timeout\ncode %d\n", SIGKILL);
    else if (WIFSIGNALED(status))
        fprintf(out, "status signal\ncode %d\n", WTERMSIG(status));
    else if (WEXITSTATUS(status) == 127)
        fprintf(out, "status spawn-failed\ncode 127\n");
    else
        fprintf(out, "status exit\ncode %d\n", WEXITSTATUS(status));
    fprintf(out, "wall %.6f\nmaxrss_kb %ld\nuser %.6f\nsys %.6f\n", t1 - t0, ru.ru_maxrss, tv(ru.ru_utime),
            tv(ru.ru_stime));
    if (out != stderr)
        fclose(out);
    return 0;
}
