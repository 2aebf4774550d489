/* cli_configure.c: configuring a session from the command line: progress of recovery on stderr, and Ctrl-C
 * (SIGINT), SIGTERM and SIGHUP cancelling it between layers (cli.h). */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "bench/session.h"
#include "cli/cli.h"

static volatile sig_atomic_t cancel_requested;

static void on_signal(int sig) {
    (void)sig;
    cancel_requested = 1;
}

typedef struct progress_out {
    bool tty;
    bool shown;
} progress_out;

static void show(void *ctx, int done, int total, double elapsed_ms, double left_ms, const char *layer) {
    progress_out *p = ctx;
    if (done == 0)
        return; /* the first report comes after the first layer, with a time estimate */
    char left[48] = "";
    if (left_ms >= 0 && done < total)
        snprintf(left, sizeof left, ", about %.0f s left", left_ms / 1000.0 + 0.5);
    if (p->tty)
        fprintf(stderr, "\r\033[Krecovering: layer %d of %d, %.1f s%s (%s)", done, total, elapsed_ms / 1000.0, left,
                layer);
    else
        fprintf(stderr, "recovering: layer %d of %d, %.1f s%s (%s)\n", done, total, elapsed_ms / 1000.0, left, layer);
    p->shown = true;
    fflush(stderr);
}

et_status et_cli_configure(struct et_session *s, const struct et_knobs *k, bool progress, const volatile int *cancel,
                           et_err *err) {
    progress_out p = {.tty = isatty(STDERR_FILENO) != 0};
    cancel_requested = 0;
    struct sigaction sa = {0}, old_int, old_term, old_hup;
    sa.sa_handler = on_signal;
    if (!cancel) {
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        sigaction(SIGHUP, &sa, &old_hup);
    }
    et_session_set_progress(s, progress || p.tty ? show : NULL, &p,
                            cancel ? cancel : (const volatile int *)&cancel_requested);
    et_status st = et_session_configure(s, k, err);
    et_session_set_progress(s, NULL, NULL, NULL);
    if (!cancel) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGHUP, &old_hup, NULL);
    }
    if (p.shown && p.tty)
        fputc('\n', stderr);
    if (st == ET_E_CANCELLED)
        et_fail(err, ET_E_CANCELLED, "cancelled while preparing the tuned model (nothing was measured)");
    return st;
}
