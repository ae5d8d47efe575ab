# bash completion for sse-serve
_sse_serve() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  case $prev in
    --format)
      COMPREPLY=($(compgen -W "lines json sse" -- "$cur")); return ;;
    --publish-token-file|--token-file|--jwt-secret-file|--tls-cert|--tls-key)
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --host)
      COMPREPLY=($(compgen -W "127.0.0.1 0.0.0.0 ::1 :: localhost" -- "$cur")); return ;;
    -p|--port|--path|--interval|--event|--topic|--max-publish|--token-cookie|--redis|--redis-key|--redis-buffer|--max-line|--history|--history-bytes|--backlog|--retry|--ping|\
    --cors|--header|--max-clients|--h2-max-streams|--client-buffer|--stall-timeout|--request-timeout|--shutdown-grace)
      return ;;
  esac
  local opts="-h --help --version --host -p --port --path --counter --interval --format --event --topic --no-stdin --metrics --publish-token-file --max-publish --token-file
    --jwt-secret-file --token-cookie --redis --redis-key --redis-buffer
    --max-line --history --history-bytes --backlog --retry --ping --cors --header --max-clients
    --client-buffer --backpressure --stall-timeout --request-timeout --tls-cert --tls-key --h2-max-streams
    --exit-on-eof --shutdown-grace -q --quiet -v --verbose"
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _sse_serve sse-serve
