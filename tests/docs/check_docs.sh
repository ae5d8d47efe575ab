#!/usr/bin/env bash
# Fails when an option that TOOL --help lists is missing from its man page or a shell completion,
# or when the rendered man page has groff warnings. Usage: check_docs.sh TOOL_BINARY SOURCE_DIR MAN_PAGE
set -euo pipefail
binary=$1 src=$2 rendered=$3
tool=$(basename "$binary")
scd="$src/man/$tool.1.scd"
bash_c="$src/completions/$tool.bash"
zsh_c="$src/completions/_$tool"
fish_c="$src/completions/$tool.fish"

status=0
for f in "$scd" "$bash_c" "$zsh_c" "$fish_c" "$rendered"; do
  [ -f "$f" ] || { echo "missing file: $f"; status=1; }
done
[ $status -eq 0 ] || exit 1

# Long options as --help shows them: "  -p,--port UINT ..." or "  --cors TEXT ...".
mapfile -t options < <("$binary" --help | grep -oE '^ +(-[a-zA-Z], ?)?--[a-z][a-z0-9.-]*' |
                       grep -oE -- '--[a-z][a-z0-9.-]*' | sort -u)
[ ${#options[@]} -gt 3 ] || { echo "could not read options from $tool --help"; exit 1; }

for opt in "${options[@]}"; do
  name=${opt#--}
  grep -qF -- "$opt" "$scd" || { echo "$opt is in --help but not in man/$tool.1.scd"; status=1; }
  grep -qE -- "(^|[^a-z0-9-])$opt([^a-z0-9-]|\$)" "$bash_c" ||
    { echo "$opt is in --help but not in completions/$tool.bash"; status=1; }
  grep -qE -- "(^|[^a-z0-9-])$opt([^a-z0-9-]|\$)" "$zsh_c" ||
    { echo "$opt is in --help but not in completions/_$tool"; status=1; }
  grep -qE -- "-l $name( |\$)" "$fish_c" ||
    { echo "$opt is in --help but not in completions/$tool.fish (-l $name)"; status=1; }
done

# The man page must have the sections a reader expects, and render without groff warnings.
for section in NAME SYNOPSIS DESCRIPTION OPTIONS EXAMPLES "EXIT STATUS"; do
  grep -q "^# $section" "$scd" || { echo "man/$tool.1.scd has no '# $section' section"; status=1; }
done
warnings=$(groff -man -ww -z "$rendered" 2>&1 || true)
[ -z "$warnings" ] || { echo "groff warnings for $rendered:"; echo "$warnings"; status=1; }

# Each completion must at least load in its shell.
bash -n "$bash_c" || status=1
zsh -n "$zsh_c" || status=1
fish --no-execute "$fish_c" || status=1

[ $status -eq 0 ] && echo "$tool: ${#options[@]} options documented in man page and completions"
exit $status
