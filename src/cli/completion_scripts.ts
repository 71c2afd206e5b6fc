/**
 * Shell completion scripts for the `kubectl-falco_psp` executable. Each script
 * asks the program itself (`kubectl-falco_psp __complete <words...> <current>`)
 * and applies the Cobra directive on the last line, so all knowledge of commands
 * and flags stays in the program.
 */

/** Shells we print a script for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;
/** One of {@link SHELLS}. */
export type CompletionScriptShell = typeof SHELLS[number];

const BASH = String.raw`# bash completion for kubectl-falco_psp
# Load with: source <(kubectl falco-psp completion bash)
# (for 'kubectl falco-psp <TAB>' kubectl uses the kubectl_complete-falco_psp helper instead)

__kubectl_falco_psp_complete() {
    local cur words cword
    if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
        _get_comp_words_by_ref -n "=:" cur words cword
    else
        # Without bash-completion: re-join the words bash split at '=' and ':'.
        local w i
        words=()
        for ((i = 0; i <= COMP_CWORD; i++)); do
            w="${"$"}{COMP_WORDS[i]}"
            if ((i > 1)) && [[ $w == [=:] || ${"$"}{words[-1]} == *[=:] ]]; then
                words[-1]+="$w"
            else
                words+=("$w")
            fi
        done
        cword=$((${"$"}{#words[@]} - 1))
        cur="${"$"}{words[cword]}"
    fi
    COMPREPLY=()

    local out
    out=$("${"$"}{words[0]}" __completeNoDesc "${"$"}{words[@]:1:cword-1}" "$cur" 2>/dev/null) || return 0
    local directive="${"$"}{out##*$'\n'}"
    directive="${"$"}{directive#:}"
    [[ $directive =~ ^[0-9]+$ ]] || return 0
    local -a comps=()
    if [[ $out == *$'\n'* ]]; then
        mapfile -t comps <<< "${"$"}{out%$'\n'*}"
    fi

    (( directive & 1 )) && return 0
    (( directive & 2 )) && compopt -o nospace 2>/dev/null
    (( directive & 32 )) && compopt -o nosort 2>/dev/null

    local f ext
    if (( directive & 8 )); then
        compopt -o filenames 2>/dev/null
        while IFS= read -r f; do
            if [[ -d $f ]]; then COMPREPLY+=("$f"); continue; fi
            for ext in "${"$"}{comps[@]}"; do
                [[ $f == *."$ext" ]] && { COMPREPLY+=("$f"); break; }
            done
        done < <(compgen -f -- "$cur")
        return 0
    fi
    if (( directive & 16 )); then
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
        return 0
    fi

    for f in "${"$"}{comps[@]}"; do
        f="${"$"}{f%%$'\t'*}"
        [[ -n $f && $f == "$cur"* ]] && COMPREPLY+=("$f")
    done
    if (( ${"$"}{#COMPREPLY[@]} == 0 )) && ! (( directive & 4 )); then
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return 0
    fi
    # bash replaces only the part of the word after the last '=' or ':' (COMP_WORDBREAKS):
    # drop what the suggestions repeat of it ('--output=json', 'arn:aws:eks:...').
    local i prefix
    if [[ $cur == *=* && $COMP_WORDBREAKS == *=* ]]; then
        prefix="${"$"}{cur%=*}="
        for i in "${"$"}{!COMPREPLY[@]}"; do COMPREPLY[i]="${"$"}{COMPREPLY[i]#"$prefix"}"; done
    fi
    if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
        prefix="${"$"}{cur%:*}:"
        for i in "${"$"}{!COMPREPLY[@]}"; do COMPREPLY[i]="${"$"}{COMPREPLY[i]#"$prefix"}"; done
    fi
    return 0
}

complete -F __kubectl_falco_psp_complete kubectl-falco_psp
`;

const ZSH = String.raw`#compdef kubectl-falco_psp
# zsh completion for kubectl-falco_psp
# Load with: source <(kubectl falco-psp completion zsh)
# (for 'kubectl falco-psp <TAB>' kubectl uses the kubectl_complete-falco_psp helper instead)

__kubectl_falco_psp() {
    local out directive line value desc
    local -a lines comps opts
    out=$("${"$"}{words[1]}" __complete "${"$"}{(@)words[2,CURRENT-1]}" "${"$"}{words[CURRENT]}" 2>/dev/null) || return 1
    lines=("${"$"}{(@f)out}")
    directive="${"$"}{lines[-1]#:}"
    [[ $directive == <-> ]] || return 1
    lines=("${"$"}{(@)lines[1,-2]}")

    (( directive & 1 )) && return 1
    if (( directive & 8 )); then
        _files -g "*.(${"$"}{(j:|:)lines})"
        return
    fi
    if (( directive & 16 )); then
        _files -/
        return
    fi
    for line in "${"$"}{lines[@]}"; do
        [[ -z $line ]] && continue
        value="${"$"}{line%%$'\t'*}"
        desc=""
        [[ $line == *$'\t'* ]] && desc="${"$"}{line#*$'\t'}"
        comps+=("${"$"}{value//:/\\:}${"$"}{desc:+:$desc}")
    done
    (( directive & 2 )) && opts+=(-S '')
    if (( ${"$"}{#comps} )); then
        _describe -t values 'kubectl-falco_psp' comps "${"$"}{opts[@]}"
        return
    fi
    (( directive & 4 )) || _files
}

if [[ ${"$"}{zsh_eval_context[-1]} == loadautofunc ]]; then
    __kubectl_falco_psp "$@"
else
    compdef __kubectl_falco_psp kubectl-falco_psp
fi
`;

const FISH = String.raw`# fish completion for kubectl-falco_psp
# Load with: kubectl falco-psp completion fish | source
# (for 'kubectl falco-psp <TAB>' kubectl uses the kubectl_complete-falco_psp helper instead)

function __kubectl_falco_psp_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    set -l results ($tokens[1] __complete $tokens[2..-1] $current 2>/dev/null)
    or return
    set -l directive (string replace -r '^:' '' -- $results[-1])
    string match -qr '^[0-9]+$' -- $directive; or return
    set -e results[-1]

    test (math "bitand($directive, 1)") -ne 0; and return
    if test (math "bitand($directive, 8)") -ne 0
        for f in (__fish_complete_path $current)
            set f (string replace -r '\t.*$' '' -- $f)
            if string match -q -- '*/' $f
                echo $f
                continue
            end
            for ext in $results
                string match -q -- "*.$ext" $f; and echo $f; and break
            end
        end
        return
    end
    if test (math "bitand($directive, 16)") -ne 0
        __fish_complete_directories $current
        return
    end
    for r in $results
        test -n "$r"; and echo $r
    end
    if test (count $results) -eq 0; and test (math "bitand($directive, 4)") -eq 0
        __fish_complete_path $current
    end
end

complete -c kubectl-falco_psp -f -a '(__kubectl_falco_psp_complete)'
`;

/** The completion script for `shell`. */
export function completionScript(shell: CompletionScriptShell): string {
  switch (shell) {
    case "bash":
      return BASH;
    case "zsh":
      return ZSH;
    case "fish":
      return FISH;
  }
}
