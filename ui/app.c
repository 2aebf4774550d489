/* app.c: the workbench's one loop. It owns the terminal, the input, the redraw pace and the signals:
 *
 *   poll(stdin, signal pipe, worker pipe)   sleeps until a key, a signal or a new snapshot; no timer while idle
 *   keys          -> et_ui_key -> maybe redraw
 *   SIGWINCH      -> new size, full repaint
 *   SIGINT/TERM/HUP (and stdin hung up) -> leave the loop
 *   worker pipe   -> et_worker_snapshot_get -> redraw
 *   redraw        at most every 100 ms: a change inside that window waits for the rest of it (poll timeout)
 *
 * Signal handlers only write the signal number to a pipe (self-pipe), so everything happens here, in order.
 * Leaving: the worker and a training job are stopped first (each stores what it was doing as aborted; the
 * training keeps its checkpoint), then the terminal is restored, then a line on stderr says why we stopped. */
#include "ui/app.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/cpu.h"
#include "ui/backend.h"
#include "ui/term.h"
#include "ui/ui.h"
#include "util/clock.h"

enum { REDRAW_MIN_MS = 100 };

/* The write end of the signal pipe: the one thing the handlers touch. */
static volatile sig_atomic_t signal_fd = -1;

static void on_signal(int sig) {
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    if (signal_fd >= 0) {
        ssize_t n = write(signal_fd, &b, 1);
        (void)n;
    }
    errno = saved;
}

static bool make_pipe(int fds[2]) {
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
        return false;
    return true;
}

static void drain(int fd, unsigned char *last_sigs, int *n_sigs) {
    unsigned char buf[64];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n && last_sigs && *n_sigs < 16; i++)
            last_sigs[(*n_sigs)++] = buf[i];
}

static void install_signals(struct sigaction old[4]) {
    static const int sigs[4] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int i = 0; i < 4; i++)
        sigaction(sigs[i], &sa, &old[i]);
    signal(SIGPIPE, SIG_IGN);
}

static void restore_signals(const struct sigaction old[4]) {
    static const int sigs[4] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH};
    for (int i = 0; i < 4; i++)
        sigaction(sigs[i], &old[i], NULL);
}

static int cores(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 1024 ? (int)n : 1;
}

/* What the loop works on; the read ends of the signal and wake-up pipes. */
typedef struct app_loop {
    et_ui *ui;
    et_canvas *canvas;
    et_term *term;
    et_backend *be;
    int sig_fd, wake_fd;
    int w, h;
    bool dirty, repaint;
    double last_draw;
    int stop_sig; /* the signal that ended the loop (SIGHUP also when the terminal went away), or 0 */
} app_loop;

/* Draws when something changed and the last draw is REDRAW_MIN_MS old; returns poll's timeout: the rest of that
 * window while a change waits, else -1 (sleep until something happens). */
static int draw_when_due(app_loop *L) {
    if (L->dirty && et_clock_ms() - L->last_draw >= REDRAW_MIN_MS) {
        et_ui_draw(L->ui, L->canvas);
        et_term_blit(L->term, L->canvas, L->repaint);
        L->last_draw = et_clock_ms();
        L->dirty = L->repaint = false;
    }
    if (!L->dirty)
        return -1;
    double left = REDRAW_MIN_MS - (et_clock_ms() - L->last_draw);
    return left > 0 ? (int)left + 1 : 0;
}

/* The signals that arrived: a resize is answered at once, any other ends the loop (true). */
static bool on_signals(app_loop *L) {
    unsigned char sigs[16];
    int ns = 0;
    drain(L->sig_fd, sigs, &ns);
    for (int i = 0; i < ns; i++) {
        if (sigs[i] == SIGWINCH) {
            et_term_update_size(L->term, &L->w, &L->h);
            if (et_canvas_resize(L->canvas, L->w, L->h))
                L->dirty = L->repaint = true;
            L->last_draw = -1e9; /* a resize is answered at once */
        } else {
            L->stop_sig = sigs[i];
        }
    }
    return L->stop_sig != 0;
}

/* Every key waiting, to the UI; true when one of them quits. */
static bool on_keys(app_loop *L) {
    bool quit = false;
    for (int key; !quit && (key = et_term_read_key(L->term)) != ET_KEY_NONE;) {
        if (key == ET_KEY_RESIZE) {
            et_term_update_size(L->term, &L->w, &L->h);
            et_canvas_resize(L->canvas, L->w, L->h);
            L->repaint = true;
        }
        unsigned r = et_ui_key(L->ui, key);
        quit = r & ET_UI_QUIT;
        L->dirty |= (r & ET_UI_REDRAW) != 0;
        L->repaint |= (r & ET_UI_REPAINT) != 0;
    }
    return quit;
}

/* The worker or the training job posted: take their snapshots. */
static void on_wake(app_loop *L) {
    drain(L->wake_fd, NULL, NULL);
    if (et_worker_snapshot_get(L->be->worker, &L->ui->snap)) {
        et_ui_snapshot_changed(L->ui);
        L->dirty = true;
    }
    if (L->be->train && et_train_worker_snapshot(L->be->train, &L->ui->train)) {
        et_ui_train_changed(L->ui);
        L->dirty = true;
    }
    if (L->be->search && et_search_worker_snapshot(L->be->search, &L->ui->search)) {
        et_ui_search_changed(L->ui);
        L->dirty = true;
    }
}

/* The loop: until q, a signal that stops us, or the terminal going away. */
static void run_loop(app_loop *L) {
    L->dirty = L->repaint = true;
    L->last_draw = -1e9;
    for (;;) {
        int timeout = draw_when_due(L);
        struct pollfd fds[3] = {{STDIN_FILENO, POLLIN, 0}, {L->sig_fd, POLLIN, 0}, {L->wake_fd, POLLIN, 0}};
        int n = poll(fds, 3, timeout);
        if (n < 0 && errno != EINTR)
            break;
        if (n <= 0)
            continue;
        if ((fds[1].revents & POLLIN) && on_signals(L))
            break;
        if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
            L->stop_sig = SIGHUP; /* the terminal went away without a SIGHUP */
            break;
        }
        if ((fds[0].revents & POLLIN) && on_keys(L))
            break;
        if (fds[2].revents & POLLIN)
            on_wake(L);
    }
}

/* Everything that can fail on bad input, before the screen is ours: the session (model and inputs), the knobs,
 * the database when runs are saved (wopt->db_path then points at db_path). Returns 0, or the exit code after one
 * line on stderr. */
static int open_session_and_db(const et_app_options *o, et_session **session, et_backend *be, et_worker_options *wopt,
                               char *db_path, size_t db_path_len) {
    et_err err = {0};
    et_session_options so = o->session;
    so.profile_layers = true;
    if (et_session_open(&so, session, &err) != ET_OK) {
        fprintf(stderr, "edgetune: %s\n", err.msg);
        return et_status_exit_code(err.status);
    }
    if (et_knobs_validate(&o->knobs, &err) != ET_OK) {
        et_session_free(*session);
        fprintf(stderr, "edgetune: %s\n", err.msg);
        return 2;
    }
    if (wopt->save) {
        if (et_db_resolve_path(wopt->db_path, db_path, db_path_len, &err) != ET_OK ||
            et_db_open(db_path, ET_DB_WRITE, &be->db, &err) != ET_OK) {
            et_session_free(*session);
            fprintf(stderr, "edgetune: %s\n", err.msg);
            return et_status_exit_code(err.status);
        }
        wopt->db_path = db_path;
    }
    return 0;
}

int et_app_run(const et_app_options *o) {
    et_err err = {0};
    /* the character set only: numbers keep the C locale's decimal point everywhere (exports, the database) */
    setlocale(LC_CTYPE, "");
    et_session *session = NULL;
    et_backend be;
    memset(&be, 0, sizeof be);
    char db_path[ET_PATH_MAX] = "";
    et_worker_options wopt = o->worker;
    int rc = open_session_and_db(o, &session, &be, &wopt, db_path, sizeof db_path);
    if (rc != 0)
        return rc;
    int sig_pipe[2] = {-1, -1}, wake_pipe[2] = {-1, -1};
    if (!make_pipe(sig_pipe) || !make_pipe(wake_pipe)) {
        fprintf(stderr, "edgetune: cannot create a pipe: %s\n", strerror(errno));
        et_session_free(session);
        et_db_close(be.db);
        return 1;
    }
    struct sigaction old[4];
    signal_fd = sig_pipe[1];
    install_signals(old);

    et_term *term = NULL;
    et_term_options to = {.no_color = o->no_color, .ascii = o->ascii};
    et_ui ui;
    memset(&ui, 0, sizeof ui);
    app_loop L = {.ui = &ui, .be = &be, .sig_fd = sig_pipe[0], .wake_fd = wake_pipe[0]};
    if (et_term_open(&to, &term, &err) != ET_OK) {
        rc = et_status_exit_code(err.status);
        fprintf(stderr, "edgetune: %s\n", err.msg);
        et_session_free(session);
        goto out;
    }
    wopt.wake_fd = wake_pipe[1];
    if (et_backend_start(&be, session, &o->knobs, &wopt, &err) != ET_OK) {
        et_term_close(term);
        term = NULL;
        fprintf(stderr, "edgetune: %s\n", err.msg);
        rc = 1;
        goto out;
    }

    et_backend_keep_sets(&be, &o->session);
    et_ui_init(&ui, &be.ops, &o->knobs, et_term_ascii(term), cores(), et_cpu_isa_name(), db_path);
    if (o->train_data)
        snprintf(ui.train_default_data, sizeof ui.train_default_data, "%s", o->train_data);
    et_canvas canvas;
    L.canvas = &canvas;
    L.term = term;
    et_term_update_size(term, &L.w, &L.h);
    if (!et_canvas_init(&canvas, L.w, L.h, et_term_ascii(term))) {
        rc = 1;
        goto stop;
    }
    run_loop(&L);
    if (L.stop_sig != SIGHUP) { /* say why the screen stands still while the worker stores its run */
        et_ui_message(&ui, false, "stopping: storing the measurement in flight...");
        et_ui_draw(&ui, &canvas);
        et_term_blit(term, &canvas, false);
    }
    et_canvas_free(&canvas);
    if (L.stop_sig == SIGTERM || L.stop_sig == SIGHUP)
        rc = 1;
stop:
    /* the worker first: it stores the measurement in flight as aborted; then the terminal */
    et_backend_stop(&be);
    et_ui_free(&ui);
    et_term_close(term);
    term = NULL;
    if (L.stop_sig)
        fprintf(stderr, "edgetune: stopped by %s; a measurement in flight was stored as aborted\n",
                L.stop_sig == SIGINT    ? "SIGINT"
                : L.stop_sig == SIGTERM ? "SIGTERM"
                                        : "SIGHUP");
out:
    restore_signals(old);
    signal_fd = -1;
    for (int i = 0; i < 2; i++) {
        close(sig_pipe[i]);
        close(wake_pipe[i]);
    }
    et_db_close(be.db);
    return rc;
}
