#!/usr/bin/env bash
# libsse(3) keeps up with the headers: every public function, option and error of the parser, the
# encoder and the Beast adapter must be named in man/libsse.3.scd, and the rendered page must have
# no groff warnings. Usage: check_man.sh SOURCE_DIR RENDERED_PAGE
set -euo pipefail
src=${1:?usage: check_man.sh SOURCE_DIR RENDERED_PAGE}
rendered=${2:?usage: check_man.sh SOURCE_DIR RENDERED_PAGE}
scd="$src/man/libsse.3.scd"
inc="$src/lib/include/sse"
for f in "$scd" "$rendered" "$inc/beast.hpp" "$inc/beast/http1.hpp" "$inc/parser.hpp" "$inc/encoder.hpp"; do
  [[ -f "$f" ]] || { echo "check_man.sh: error: $f is missing" >&2; exit 1; }
done

names=()
# Exported functions of libsse (name before the parenthesis), and the parser's members.
names+=($(grep -ohP '^SSE_EXPORT [^(]*?\b\K\w+(?=\()' "$inc/parser.hpp" "$inc/encoder.hpp" "$inc/utf8.hpp"))
names+=($(sed -n '/^class SSE_EXPORT parser/,/^};/p' "$inc/parser.hpp" | grep -oP '^  [\w:<>&\s]*?\b\K[a-z_]+(?=\()' | grep -v '^parser$'))
names+=($(sed -n '/^struct parser_options/,/^};/p' "$inc/parser.hpp" | grep -oP '^  [\w:]+ \K\w+(?= =)'))
# The adapter: its free functions (the detail ones are filtered out below), the stream's public members, the options and both enums.
names+=($(grep -ohP '^(inline |template <[^>]*> )?[\w:<>]+ \K\w+(?=\()' "$inc/beast/http1.hpp"))
names+=($(grep -ohP '^\s*(inline )?constexpr std::string_view \K\w+' "$inc/beast/http1.hpp"))
names+=($(sed -n '/^class event_stream/,/^ private:/p' "$inc/beast.hpp" | grep -oP '^  (auto|void|bool|executor_type|std::optional<std::string> const&) \K\w+(?=\()'))
names+=(start_event_stream)
names+=($(sed -n '/^struct stream_options/,/^};/p' "$inc/beast.hpp" | grep -oP '^  [\w:<>]+ \K\w+(?= |;)'))
names+=($(sed -n '/^enum class when_full/,/^};/p;/^enum class error/,/^};/p' "$inc/beast.hpp" | grep -oP '^  \K\w+(?=[ ,=])'))

status=0
[[ ${#names[@]} -gt 40 ]] || { echo "check_man.sh: error: only ${#names[@]} names found in the headers" >&2; exit 1; }
for name in $(printf '%s\n' "${names[@]}" | grep -vE '^(is_token_char|check_field|hex_digit|form_decode|to_std)$' | sort -u); do
  grep -qw -- "$name" "$scd" || { echo "$name is in the headers but not in man/libsse.3.scd"; status=1; }
done
warnings=$(groff -man -ww -z "$rendered" 2>&1 || true)
[[ -z "$warnings" ]] || { echo "groff warnings for $rendered:"; echo "$warnings"; status=1; }
exit $status
