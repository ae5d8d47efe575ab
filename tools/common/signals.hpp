// SIGINT and SIGTERM end a run cleanly: the handler only notes the signal and writes a byte to a
// pipe that every wait (poll, curl_multi_poll) also watches (the self-pipe trick). SIGPIPE is
// ignored: a closed stdout shows up as EPIPE from write(2), which ends the run quietly. A tool
// with its own event loop (sse-serve's Asio signal_set) needs only reraise.
#ifndef SSE_TOOLS_SIGNALS_HPP
#define SSE_TOOLS_SIGNALS_HPP

namespace sse::tools {

// Installs the handlers (idempotent). Returns false when the pipe cannot be made.
bool install_signal_handlers();

// The read end of the wake-up pipe (readable once a signal arrived), or -1.
int signal_fd() noexcept;

// The signal that arrived (SIGINT or SIGTERM), or 0.
int received_signal() noexcept;

// Restores the default action for sig and raises it, so the shell sees how the program ended
// (130 for SIGINT). Should the signal not end the process, exits with 128 + sig.
[[noreturn]] void reraise(int sig);

}  // namespace sse::tools

#endif
