# bash completion for payoutctl (docs/payoutctl.md).
# Use: source scripts/payoutctl-completion.bash   (or copy it to
# /etc/bash_completion.d/payoutctl). Completes commands, subcommands, admin
# groups and actions, flags, and the values of flags with a fixed set.

_payoutctl_global_flags="--base-url --secret-key --security-key --secret-key-file
 --security-key-file --timeout --retries --lang --encrypt-reads --ca-file --test-code
 --idempotency-key --raw --field --verbose --admin-url --admin-token-file --merchant --help"

# Flags that take a value (the word after them is not a command).
_payoutctl_value_flags="--base-url --secret-key --security-key --secret-key-file
 --security-key-file --timeout --retries --lang --ca-file --test-code --idempotency-key
 --field --admin-url --admin-token-file --merchant --file --ref --type --name
 --company-name --representative --brn --email --phone --bank --account --holder --meta
 --limit --starting-after --to --amount --date --description --from --body --time
 --signature --key --mid --test-balance --settlement-date --env --kind"

_payoutctl_flags_for() { # command subcommand [action]
    case "$1 $2" in
    "sellers create") echo "--file --ref --type --name --company-name --representative --brn
        --email --phone --bank --account --holder --meta" ;;
    "sellers update") echo "--file --ref --type --name --company-name --representative --brn
        --email --phone --bank --account --holder --meta --no-meta" ;;
    "sellers list") echo "--limit --starting-after" ;;
    "payouts request") echo "--file --ref --to --amount --express --date --description --meta" ;;
    "payouts list") echo "--limit --starting-after --from --to" ;;
    "webhook verify") echo "--body --time --signature --key" ;;
    "admin merchants") echo "--mid --no-contract --test-balance" ;;
    "admin credit") echo "--amount --settlement-date --env" ;;
    "admin sellers") echo "--env" ;;
    "admin webhook") echo "--env --limit" ;;
    "admin keys") echo "--kind --env" ;;
    "admin traces") echo "--limit" ;;
    esac
}

_payoutctl() {
    local cur prev
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"

    # Values of flags with a fixed set, or files.
    case "$prev" in
    --type) COMPREPLY=($(compgen -W "INDIVIDUAL INDIVIDUAL_BUSINESS CORPORATE" -- "$cur")); return ;;
    --lang) COMPREPLY=($(compgen -W "en ko" -- "$cur")); return ;;
    --env) COMPREPLY=($(compgen -W "test live" -- "$cur")); return ;;
    --kind) COMPREPLY=($(compgen -W "secret security" -- "$cur")); return ;;
    --file | --body | --secret-key-file | --security-key-file | --ca-file | --admin-token-file)
        COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    case " $_payoutctl_value_flags " in
    *" $prev "*) return ;; # a free value: nothing to offer
    esac

    # The positional words so far: command, subcommand, action.
    local words=() i w
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${COMP_WORDS[i]}"
        case "$w" in
        --*=*) ;;
        -*) case " $_payoutctl_value_flags " in *" $w "*) ((i++)) ;; esac ;;
        *) words+=("$w") ;;
        esac
    done

    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$_payoutctl_global_flags $(_payoutctl_flags_for "${words[0]}" "${words[1]}")" -- "$cur"))
        return
    fi

    case "${#words[@]}" in
    0) COMPREPLY=($(compgen -W "sellers payouts balances webhook jwe admin help version" -- "$cur")) ;;
    1)
        case "${words[0]}" in
        sellers) COMPREPLY=($(compgen -W "create list get update delete" -- "$cur")) ;;
        payouts) COMPREPLY=($(compgen -W "request list get cancel" -- "$cur")) ;;
        balances) COMPREPLY=($(compgen -W "get" -- "$cur")) ;;
        webhook) COMPREPLY=($(compgen -W "verify" -- "$cur")) ;;
        jwe) COMPREPLY=($(compgen -W "encrypt decrypt inspect doctor" -- "$cur")) ;;
        admin) COMPREPLY=($(compgen -W "merchants contract credit clock sellers webhook keys traces scheduler" -- "$cur")) ;;
        help) COMPREPLY=($(compgen -W "sellers payouts balances webhook jwe admin" -- "$cur")) ;;
        esac ;;
    2)
        case "${words[0]} ${words[1]}" in
        "admin merchants") COMPREPLY=($(compgen -W "create get" -- "$cur")) ;;
        "admin contract") COMPREPLY=($(compgen -W "on off" -- "$cur")) ;;
        "admin clock") COMPREPLY=($(compgen -W "get set advance reset" -- "$cur")) ;;
        "admin sellers") COMPREPLY=($(compgen -W "verify-identity approve-kyc require-kyc" -- "$cur")) ;;
        "admin webhook") COMPREPLY=($(compgen -W "set list redeliver" -- "$cur")) ;;
        "admin keys") COMPREPLY=($(compgen -W "rotate" -- "$cur")) ;;
        "admin traces") COMPREPLY=($(compgen -W "get list" -- "$cur")) ;;
        "admin scheduler") COMPREPLY=($(compgen -W "run" -- "$cur")) ;;
        "help sellers") COMPREPLY=($(compgen -W "create list get update delete" -- "$cur")) ;;
        "help payouts") COMPREPLY=($(compgen -W "request list get cancel" -- "$cur")) ;;
        esac ;;
    esac
}

complete -F _payoutctl payoutctl
