# j1-npm.bash — bash completion for j1-npm-collect, j1-npm-transform and
# j1-npm-upload.
#
# Installed once per program name (share/bash-completion/completions/
# j1-npm-collect, ...), where bash-completion loads it on the first Tab;
# or source it from ~/.bashrc.
#
# No list of options is kept here: the options and their values' names are
# read from the program's own --help (generated from its option table,
# common/cli.c), once per shell and program, so completion offers exactly
# what the installed program takes, whatever its version. --help's option
# lines are "  -x, --name ARG, --alias ARG  description". A value is
# completed by its name in --help: a choice list of lower-case words
# ("text|json") offers those words, a name holding DIR offers directories
# (and "-" where "DIR|-"), FILE offers files, anything else (ORG, URL, N)
# offers nothing. Works with or without the bash-completion package (it uses
# only COMP_WORDS, COMP_CWORD and compgen). tests/integration/test_dist.py
# holds it to --help.

# _j1_npm_options PROGRAM: sets _j1_npm_opts (the flags, one per line) and
# _j1_npm_args (lines "flag ARG" for the flags that take a value), from
# --help, cached in _j1_npm_cache_<program>.
_j1_npm_options()
{
    local prog=$1 var line names part flag arg
    var=_j1_npm_cache_${prog//[^A-Za-z0-9_]/_}
    if [[ -z ${!var-} ]]; then
        local opts="" args=""
        while IFS= read -r line; do
            [[ $line == "  -"* ]] || continue
            names=${line#  }
            names=${names%%  *}
            while [[ -n $names ]]; do
                part=${names%%, *}
                if [[ $part == "$names" ]]; then names=""; else names=${names#*, }; fi
                flag=${part%% *}
                arg=""
                [[ $part == *" "* ]] && arg=${part#* }
                opts+="$flag"$'\n'
                [[ -n $arg ]] && args+="$flag $arg"$'\n'
            done
        done < <("$prog" --help 2>/dev/null)
        printf -v "$var" '%s\x1f%s' "$opts" "$args"
    fi
    _j1_npm_opts=${!var%%$'\x1f'*}
    _j1_npm_args=${!var#*$'\x1f'}
}

_j1_npm()
{
    local prog=$1 cur=${COMP_WORDS[COMP_CWORD]} prev="" flag="" arg="" line
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()
    _j1_npm_options "$prog"

    # --flag=value: bash splits it at '=' (COMP_WORDBREAKS) into "--flag"
    # "=" "value"; without '=' there, it stays one word.
    if [[ $cur == = ]]; then
        flag=$prev cur=""
    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
        flag=${COMP_WORDS[COMP_CWORD - 2]}
    elif [[ $cur == --*=* ]]; then
        flag=${cur%%=*}
        cur=${cur#*=}
    elif [[ $cur != -* || $cur == - ]] && [[ $prev == -* ]]; then
        flag=$prev
    fi
    if [[ -n $flag ]]; then
        while IFS= read -r line; do
            [[ ${line%% *} == "$flag" ]] && arg=${line#* } && break
        done <<<"$_j1_npm_args"
    fi

    if [[ -n $arg ]]; then
        local IFS=$'\n'
        if [[ $arg =~ ^[a-z][a-z0-9|-]*$ && $arg == *"|"* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "${arg//|/$'\n'}" -- "$cur")
        elif [[ $arg == *DIR* ]]; then
            mapfile -t COMPREPLY < <(compgen -d -- "$cur")
            [[ $arg == *"|-"* && ( -z $cur || $cur == - ) ]] && COMPREPLY+=(-)
        elif [[ $arg == *FILE* ]]; then
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        fi
        return 0
    fi
    if [[ $cur == -* ]]; then
        local IFS=$'\n'
        mapfile -t COMPREPLY < <(compgen -W "$_j1_npm_opts" -- "$cur")
    fi
    return 0
}

complete -F _j1_npm -o filenames j1-npm-collect j1-npm-transform j1-npm-upload
