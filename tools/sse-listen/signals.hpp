// SIGINT and SIGTERM end the run cleanly: the handler only notes the signal and writes a byte to a
// pipe that every wait (curl_multi_poll, poll) also watches. SIGPIPE is ignored: a closed stdout
// shows up as EPIPE from write(2), which ends the run quietly.
#ifndef SSE_LISTEN_SIGNALS_HPP
#define SSE_LISTEN_SIGNALS_HPP

namespace sse::listen {

// Installs the handlers (idempotent). Returns false when the pipe cannot be made.
bool install_signal_handlers();

// The read end of the wake-up pipe (readable once a signal arrived), or -1.
int signal_fd() noexcept;

// The signal that arrived (SIGINT or SIGTERM), or 0.
int received_signal() noexcept;

// Restores the default action for sig and raises it, so the shell sees how the program ended.
[[noreturn]] void reraise(int sig);

}  // namespace sse::listen

#endif
