# bash completion for sse-listen
_sse_listen() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  case $prev in
    -i|--input|--cacert|--state-file)
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
    -d|--data)
      if [[ $cur == @* ]]; then
        COMPREPLY=($(compgen -f -- "${cur#@}" | sed 's/^/@/'))
      fi
      return ;;
    -X|--request)
      COMPREPLY=($(compgen -W "GET POST PUT PATCH DELETE" -- "$cur")); return ;;
    --color|--colour)
      COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
    --exec-errors)
      COMPREPLY=($(compgen -W "stop ignore" -- "$cur")); return ;;
    --exec)
      COMPREPLY=($(compgen -c -- "$cur")); return ;;
    --proxy)
      COMPREPLY=($(compgen -W "http:// https:// socks5:// socks5h://" -- "$cur")); return ;;
    -H|--header|--last-event-id|-A|--user-agent|--connect-timeout|--max-reconnects|--retry|\
    -n|--count|-e|--event|--until-data|--until-event|-t|--timeout|--idle-timeout|--max-event-size|\
    --exec-timeout|--check-time)
      return ;;
    --origin)
      COMPREPLY=($(compgen -W "http:// https://" -- "$cur")); return ;;
  esac
  if [[ $cur == -* ]]; then
    local opts="-h --help --version -i --input -j --json --json-data -r --raw --sse -H --header -X --request
      -d --data --last-event-id -k --insecure --cacert -A --user-agent --connect-timeout
      --no-reconnect --max-reconnects --retry -n --count -e --event --until-data --until-event
      -t --timeout --idle-timeout --max-event-size --color --colour -v --verbose
      --state-file --exec --exec-errors --exec-timeout --proxy --http2 --http1.1 --include
      --timestamps --retry-on-5xx --check --check-time --origin"
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return
  fi
  COMPREPLY=($(compgen -W "- http:// https://" -- "$cur"))
}
complete -F _sse_listen sse-listen
