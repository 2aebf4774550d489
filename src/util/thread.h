/* thread.h: starting a thread that never takes a signal. The workbench's measurement and training threads (and
 * the engine's pool and power-sampler threads they create, which inherit the mask) leave signals to the UI thread,
 * whose self-pipe turns them into events (ui/app.c). */
#ifndef ET_UTIL_THREAD_H
#define ET_UTIL_THREAD_H

#include <pthread.h>

/* pthread_create with every signal blocked in the new thread (the caller's mask is restored before returning).
 * Returns pthread_create's result: 0, or an errno value. */
int et_thread_start_masked(pthread_t *thread, void *(*fn)(void *), void *arg);

#endif
