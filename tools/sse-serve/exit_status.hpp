// Every exit status sse-serve can return, in one place (the man page's EXIT STATUS lists the same).
#ifndef SSE_SERVE_EXIT_STATUS_HPP
#define SSE_SERVE_EXIT_STATUS_HPP

namespace sse::serve {

enum class exit_status : int {
  ok = 0,       // stdin ended with --exit-on-eof and every stream was ended
  failure = 1,  // could not listen, could not read stdin, or another run-time error
  usage = 2,    // a command-line error (also sse::tools::exit_usage)
  // SIGINT/SIGTERM: streams are ended, then the signal is raised again so the shell sees it
};

}  // namespace sse::serve

#endif
