# Used by tests/e2e/completion.rs: runs zsh's real completion system in a pseudo-terminal
# (zpty) with compadd wrapped to print each match instead of inserting it.
# zsh -f zsh_capture.zsh FPATH_DIR LINE: the matches zsh's completion system offers when Tab
# is pressed at the end of the command line LINE, one per line.
zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z "PROMPT= RPROMPT= PS2= ; unsetopt zle_bracketed_paste 2>/dev/null"
zpty -w z "fpath=(${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D"
# The markers are written split ("<h""it>") so that the pty's echo of these definitions
# never contains them; only the output of the functions does.
zpty -w z 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi
  local -a __hits; builtin compadd -A __hits "$@"
  (( $#__hits )) && print -rl -- "<h""it>"${^__hits}
  return 0
}'
zpty -w z 'comppostfuncs=(__done); __done() { print -r -- "<do""ne>"; exit 0 }'
zpty -w z "bindkey '^I' complete-word"
zpty -w -n z "$2"$'\t'
local line
while zpty -r z line; do
  [[ $line == *"<done>"* ]] && break
  line=${line%%$'\r'}
  [[ $line == *"<hit>"?* ]] && print -r -- "${line##*<hit>}"
done
zpty -d z
