# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mfa_admin_global_optspecs
    string join \n db= key-file= output= json actor= y/yes q/quiet busy-timeout= h/help V/version
end

function __fish_mfa_admin_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mfa_admin_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mfa_admin_using_subcommand
    set -l cmd (__fish_mfa_admin_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -s V -l version -d 'Print version'
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -f -a "init" -d 'Create the store and its key file, or migrate an existing store forward'
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -f -a "user" -d 'Add, import, find, list, show, lock, unlock, disable and enable users'
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -f -a "mfa" -d 'Enroll, confirm, verify, reset and exempt users\' TOTP'
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -f -a "recovery" -d 'Recovery codes: status, check (consumes), regenerate'
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -f -a "device" -d 'Remembered devices: list, check, revoke'
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -f -a "policy" -d 'Organisation-wide MFA policy'
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -f -a "audit" -d 'Read the audit trail (newest first), verify its keyed chain, or print its head'
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -f -a "key" -d 'Check or rotate the key file that encrypts TOTP secrets'
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -f -a "doctor" -d 'Report inconsistencies in the store (exit 1 if anything is wrong)'
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -f -a "backup" -d 'Write a consistent copy of the store, safe while the application runs'
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -f -a "copy" -d 'Copy the whole store into a new SQLite file or an empty PostgreSQL database'
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -f -a "notify" -d 'User notifications (factor reset, enrollment, lockout) for the application to deliver'
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -f -a "completions" -d 'Print a shell completion script (the script is the output: no --json or --output)'
complete -c mfa-admin -n "__fish_mfa_admin_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand init" -l sample -d 'Also add N realistic demo users (some enrolled, pending, exempt, one locked)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand init" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand init" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand init" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand init" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand init" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand init" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand init" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand init" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand init" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -f -a "add" -d 'Add a user'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -f -a "import" -d 'Add users from CSV with header username,name,email (one transaction; - = stdin)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -f -a "find" -d 'Case-insensitive search over user name, display name and email (#ID finds by id)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -f -a "list" -d 'List users, filtered'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -f -a "show" -d 'Everything about one user except secrets'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -f -a "edit" -d 'Correct a user\'s display name or email'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -f -a "delete" -d 'Delete users with their TOTP credential, recovery codes and devices (confirmed)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -f -a "lock" -d 'Lock an account'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -f -a "unlock" -d 'Unlock an account and clear its failed-attempt counter'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -f -a "disable" -d 'Disable an account: it passes no factor check (exit 6) until enabled'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -f -a "enable" -d 'Enable a disabled account again'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and not __fish_seen_subcommand_from add import find list show edit delete lock unlock disable enable help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from add" -l name -d 'Display name' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from add" -l email -d 'Email address' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from add" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from add" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from add" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from add" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from add" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from add" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from add" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from import" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from import" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from import" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from import" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from import" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from import" -l skip-existing -d 'Skip users whose user name is already in the store (reported, not an error)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from import" -l dry-run -d 'Check the whole file as an import would (a bad line exits 2 naming it), change nothing'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from import" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from import" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from import" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from find" -l limit -d 'At most N results' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from find" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from find" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from find" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from find" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from find" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from find" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from find" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from find" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from find" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from list" -l mfa -d 'Only users in this MFA state' -r -f -a "none\t''
pending\t''
enrolled\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from list" -l status -d 'Only users with this account status' -r -f -a "active\t''
locked\t''
disabled\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from list" -l limit -d 'At most N users' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from list" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from list" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from list" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from list" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from list" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from list" -l exempt -d 'Only users with a current MFA exemption'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from list" -l enrollment-required -d 'Only users who must set up MFA (again) at next sign-in'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from list" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from list" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from show" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from show" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from show" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from show" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from show" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from show" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from show" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from edit" -l name -d 'The new display name' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from edit" -l email -d 'The new email address' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from edit" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from edit" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from edit" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from edit" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from edit" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from edit" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from edit" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from edit" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from edit" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from delete" -l from-file -d 'Read users from a file, one per line (# comments, blank lines skipped; - = stdin)' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from delete" -l reason -d 'Why, recorded in the audit log' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from delete" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from delete" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from delete" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from delete" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from delete" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from delete" -l dry-run -d 'Report what would be deleted, change nothing'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from delete" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from delete" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from delete" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from lock" -l reason -d 'Why, for the audit log' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from lock" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from lock" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from lock" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from lock" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from lock" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from lock" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from lock" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from lock" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from lock" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from unlock" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from unlock" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from unlock" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from unlock" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from unlock" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from unlock" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from unlock" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from unlock" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from unlock" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from disable" -l reason -d 'Why, for the audit log' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from disable" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from disable" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from disable" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from disable" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from disable" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from disable" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from disable" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from disable" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from disable" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from enable" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from enable" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from enable" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from enable" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from enable" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from enable" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from enable" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from enable" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from enable" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a user'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "import" -d 'Add users from CSV with header username,name,email (one transaction; - = stdin)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "find" -d 'Case-insensitive search over user name, display name and email (#ID finds by id)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "list" -d 'List users, filtered'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "show" -d 'Everything about one user except secrets'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "edit" -d 'Correct a user\'s display name or email'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete users with their TOTP credential, recovery codes and devices (confirmed)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "lock" -d 'Lock an account'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "unlock" -d 'Unlock an account and clear its failed-attempt counter'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "disable" -d 'Disable an account: it passes no factor check (exit 6) until enabled'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "enable" -d 'Enable a disabled account again'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm verify reset exempt unexempt help" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm verify reset exempt unexempt help" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm verify reset exempt unexempt help" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm verify reset exempt unexempt help" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm verify reset exempt unexempt help" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm verify reset exempt unexempt help" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm verify reset exempt unexempt help" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm verify reset exempt unexempt help" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm verify reset exempt unexempt help" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm verify reset exempt unexempt help" -f -a "status" -d 'The user\'s MFA state, exemption, recovery codes left, devices and lock'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm verify reset exempt unexempt help" -f -a "enroll" -d 'Create a pending TOTP credential and print its otpauth URI (and a QR code on a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm verify reset exempt unexempt help" -f -a "confirm" -d 'Activate a pending credential with a valid code; shows the recovery codes once'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm verify reset exempt unexempt help" -f -a "verify" -d 'The login-time check: exit 0 valid, 4 invalid or replayed, 6 locked'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm verify reset exempt unexempt help" -f -a "reset" -d 'Remove users\' TOTP, recovery codes and devices; they enroll again at next login'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm verify reset exempt unexempt help" -f -a "exempt" -d 'Exempt a user from MFA, optionally until a time'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm verify reset exempt unexempt help" -f -a "unexempt" -d 'Remove a user\'s MFA exemption'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm verify reset exempt unexempt help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from status" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from status" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from status" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from status" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from status" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from status" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from status" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l secret-file -d 'Import an existing seed (base32), e.g. from a hardware token, from a file or `-` for stdin (preferred: a seed on the command line is visible to other local users in `ps` and /proc/PID/cmdline, and stays in shell history)' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l secret -d 'Import a seed given on the command line (last resort; see --secret-file)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l algorithm -d 'HMAC algorithm (authenticator apps honour only SHA1)' -r -f -a "SHA1\t''
SHA256\t''
SHA512\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l digits -d 'Digits per code' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l period -d 'Seconds per code' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l qr-png -d 'Also write the QR code as a PNG (a new file, mode 0600; an existing path is refused; `-` writes the PNG alone to stdout, which must not be a terminal)' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l qr -d 'The terminal\'s background, so the QR code shows dark modules on light (scanners need that): dark (default) or light' -r -f -a "dark\t'Light text on a dark background (most terminals)'
light\t'Dark text on a light background'"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l force -d 'Replace an existing credential'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from verify" -l remember-device -d 'Remember this device: prints a device token once' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from verify" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from verify" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from verify" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from verify" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from verify" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from verify" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from verify" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from reset" -l from-file -d 'Read users from a file, one per line (# comments, blank lines skipped; - = stdin)' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from reset" -l reason -d 'Why, recorded in the audit log' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from reset" -l backup -d 'Write a consistent copy of the store here before changing anything' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from reset" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from reset" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from reset" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from reset" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from reset" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from reset" -l dry-run -d 'Report what would be reset, change nothing'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from reset" -l skip-missing -d 'Reset the users that exist and report the rest as not_found'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from reset" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from reset" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from reset" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from reset" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from exempt" -l reason -d 'Why (recorded in the audit log)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from exempt" -l until -d 'When the exemption ends (RFC 3339, a date, or a span like 7d)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from exempt" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from exempt" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from exempt" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from exempt" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from exempt" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from exempt" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from exempt" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from exempt" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from exempt" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from unexempt" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from unexempt" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from unexempt" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from unexempt" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from unexempt" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from unexempt" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from unexempt" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from unexempt" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from unexempt" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from help" -f -a "status" -d 'The user\'s MFA state, exemption, recovery codes left, devices and lock'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from help" -f -a "enroll" -d 'Create a pending TOTP credential and print its otpauth URI (and a QR code on a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from help" -f -a "confirm" -d 'Activate a pending credential with a valid code; shows the recovery codes once'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from help" -f -a "verify" -d 'The login-time check: exit 0 valid, 4 invalid or replayed, 6 locked'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from help" -f -a "reset" -d 'Remove users\' TOTP, recovery codes and devices; they enroll again at next login'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from help" -f -a "exempt" -d 'Exempt a user from MFA, optionally until a time'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from help" -f -a "unexempt" -d 'Remove a user\'s MFA exemption'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand mfa; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and not __fish_seen_subcommand_from status check regenerate help" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and not __fish_seen_subcommand_from status check regenerate help" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and not __fish_seen_subcommand_from status check regenerate help" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and not __fish_seen_subcommand_from status check regenerate help" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and not __fish_seen_subcommand_from status check regenerate help" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and not __fish_seen_subcommand_from status check regenerate help" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and not __fish_seen_subcommand_from status check regenerate help" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and not __fish_seen_subcommand_from status check regenerate help" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and not __fish_seen_subcommand_from status check regenerate help" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and not __fish_seen_subcommand_from status check regenerate help" -f -a "status" -d 'Recovery codes left and issued'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and not __fish_seen_subcommand_from status check regenerate help" -f -a "check" -d 'Verify a recovery code; a valid code is consumed (exit 0 valid, 4 not)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and not __fish_seen_subcommand_from status check regenerate help" -f -a "regenerate" -d 'Replace all recovery codes and show the new ones once'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and not __fish_seen_subcommand_from status check regenerate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from status" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from status" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from status" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from status" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from status" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from status" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from status" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from check" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from check" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from check" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from check" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from check" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from check" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from check" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from regenerate" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from regenerate" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from regenerate" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from regenerate" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from regenerate" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from regenerate" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from regenerate" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from regenerate" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from regenerate" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from help" -f -a "status" -d 'Recovery codes left and issued'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from help" -f -a "check" -d 'Verify a recovery code; a valid code is consumed (exit 0 valid, 4 not)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from help" -f -a "regenerate" -d 'Replace all recovery codes and show the new ones once'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand recovery; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and not __fish_seen_subcommand_from list check revoke prune help" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and not __fish_seen_subcommand_from list check revoke prune help" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and not __fish_seen_subcommand_from list check revoke prune help" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and not __fish_seen_subcommand_from list check revoke prune help" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and not __fish_seen_subcommand_from list check revoke prune help" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and not __fish_seen_subcommand_from list check revoke prune help" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and not __fish_seen_subcommand_from list check revoke prune help" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and not __fish_seen_subcommand_from list check revoke prune help" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and not __fish_seen_subcommand_from list check revoke prune help" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and not __fish_seen_subcommand_from list check revoke prune help" -f -a "list" -d 'The user\'s remembered devices (never the tokens)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and not __fish_seen_subcommand_from list check revoke prune help" -f -a "check" -d 'Check a device token (exit 0 valid, 4 not)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and not __fish_seen_subcommand_from list check revoke prune help" -f -a "revoke" -d 'Revoke one remembered device, or all of them'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and not __fish_seen_subcommand_from list check revoke prune help" -f -a "prune" -d 'Delete expired remembered devices of every user (they no longer work anyway)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and not __fish_seen_subcommand_from list check revoke prune help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from list" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from list" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from list" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from list" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from list" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from list" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from list" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from check" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from check" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from check" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from check" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from check" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from check" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from check" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from revoke" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from revoke" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from revoke" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from revoke" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from revoke" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from revoke" -l all -d 'Revoke every device of the user'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from revoke" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from revoke" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from revoke" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from prune" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from prune" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from prune" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from prune" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from prune" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from prune" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from prune" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from prune" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from help" -f -a "list" -d 'The user\'s remembered devices (never the tokens)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from help" -f -a "check" -d 'Check a device token (exit 0 valid, 4 not)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Revoke one remembered device, or all of them'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from help" -f -a "prune" -d 'Delete expired remembered devices of every user (they no longer work anyway)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand device; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and not __fish_seen_subcommand_from show set help" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and not __fish_seen_subcommand_from show set help" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and not __fish_seen_subcommand_from show set help" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and not __fish_seen_subcommand_from show set help" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and not __fish_seen_subcommand_from show set help" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and not __fish_seen_subcommand_from show set help" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and not __fish_seen_subcommand_from show set help" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and not __fish_seen_subcommand_from show set help" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and not __fish_seen_subcommand_from show set help" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and not __fish_seen_subcommand_from show set help" -f -a "show" -d 'Show every policy setting, or the ones named'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and not __fish_seen_subcommand_from show set help" -f -a "set" -d 'Change one setting (validated)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and not __fish_seen_subcommand_from show set help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from show" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from show" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from show" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from show" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from show" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from show" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from show" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from set" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from set" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from set" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from set" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from set" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from set" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from set" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show every policy setting, or the ones named'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from help" -f -a "set" -d 'Change one setting (validated)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and not __fish_seen_subcommand_from verify head help" -l user -d 'Only rows about this user (user name or #ID)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and not __fish_seen_subcommand_from verify head help" -l action -d 'Only this action (e.g. mfa.reset), or a family (mfa)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and not __fish_seen_subcommand_from verify head help" -l since -d 'Only rows since this time (RFC 3339, a date, or a span like 24h, 7d)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and not __fish_seen_subcommand_from verify head help" -l until -d 'Only rows before this time (what --since takes; 1h = one hour ago)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and not __fish_seen_subcommand_from verify head help" -l limit -d 'At most N rows' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and not __fish_seen_subcommand_from verify head help" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and not __fish_seen_subcommand_from verify head help" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and not __fish_seen_subcommand_from verify head help" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and not __fish_seen_subcommand_from verify head help" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and not __fish_seen_subcommand_from verify head help" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and not __fish_seen_subcommand_from verify head help" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and not __fish_seen_subcommand_from verify head help" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and not __fish_seen_subcommand_from verify head help" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and not __fish_seen_subcommand_from verify head help" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and not __fish_seen_subcommand_from verify head help" -f -a "verify" -d 'Check the keyed chain; exit 1 naming the first bad row'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and not __fish_seen_subcommand_from verify head help" -f -a "head" -d 'Print the current head (rows, head) to record outside the store'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and not __fish_seen_subcommand_from verify head help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from verify" -l expect -d 'A head printed earlier by `audit head`: the trail must still contain it, which detects a truncated or rolled-back trail' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from verify" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from verify" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from verify" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from verify" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from verify" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from verify" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from verify" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from head" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from head" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from head" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from head" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from head" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from head" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from head" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from head" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from head" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check the keyed chain; exit 1 naming the first bad row'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "head" -d 'Print the current head (rows, head) to record outside the store'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and not __fish_seen_subcommand_from check rotate help" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and not __fish_seen_subcommand_from check rotate help" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and not __fish_seen_subcommand_from check rotate help" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and not __fish_seen_subcommand_from check rotate help" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and not __fish_seen_subcommand_from check rotate help" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and not __fish_seen_subcommand_from check rotate help" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and not __fish_seen_subcommand_from check rotate help" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and not __fish_seen_subcommand_from check rotate help" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and not __fish_seen_subcommand_from check rotate help" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and not __fish_seen_subcommand_from check rotate help" -f -a "check" -d 'Check that every stored secret decrypts with the key file'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and not __fish_seen_subcommand_from check rotate help" -f -a "rotate" -d 'Re-encrypt every secret with a new key (old key kept as a 0600 backup)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and not __fish_seen_subcommand_from check rotate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from check" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from check" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from check" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from check" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from check" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from check" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from check" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from rotate" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from rotate" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from rotate" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from rotate" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from rotate" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from rotate" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from rotate" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from rotate" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "check" -d 'Check that every stored secret decrypts with the key file'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Re-encrypt every secret with a new key (old key kept as a 0600 backup)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand doctor" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand doctor" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand doctor" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand doctor" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand doctor" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand doctor" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand doctor" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand doctor" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand backup" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand backup" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand backup" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand backup" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand backup" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand backup" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand backup" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand backup" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand backup" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand copy" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand copy" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand copy" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand copy" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand copy" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand copy" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand copy" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand copy" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand copy" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and not __fish_seen_subcommand_from list ack help" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and not __fish_seen_subcommand_from list ack help" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and not __fish_seen_subcommand_from list ack help" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and not __fish_seen_subcommand_from list ack help" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and not __fish_seen_subcommand_from list ack help" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and not __fish_seen_subcommand_from list ack help" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and not __fish_seen_subcommand_from list ack help" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and not __fish_seen_subcommand_from list ack help" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and not __fish_seen_subcommand_from list ack help" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and not __fish_seen_subcommand_from list ack help" -f -a "list" -d 'Notifications, newest first'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and not __fish_seen_subcommand_from list ack help" -f -a "ack" -d 'Mark notifications delivered'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and not __fish_seen_subcommand_from list ack help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from list" -l limit -d 'At most N' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from list" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from list" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from list" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from list" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from list" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from list" -l pending -d 'Only those not yet acknowledged'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from list" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from list" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from ack" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from ack" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from ack" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from ack" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from ack" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from ack" -l all -d 'Every pending notification'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from ack" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from ack" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from ack" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from ack" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from help" -f -a "list" -d 'Notifications, newest first'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from help" -f -a "ack" -d 'Mark notifications delivered'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand notify; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand completions" -l db -d 'The store: an SQLite file, or a postgresql:// URL [default: $XDG_DATA_HOME/mfa-admin/mfa-admin.db]' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand completions" -l key-file -d 'The key file that encrypts TOTP secrets [default: beside an SQLite store, <db>.key; required for PostgreSQL]' -r -F
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand completions" -l output -d 'Output format of data on stdout' -r -f -a "human\t''
json\t''
csv\t''"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand completions" -l actor -d 'Who is acting, for the audit log [default: $MFA_ADMIN_ACTOR, else the OS user]; on `audit`, filters by who acted (MFA_ADMIN_ACTOR does not filter)' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand completions" -l busy-timeout -d 'How long to wait for a store another process is writing, in milliseconds' -r
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand completions" -l json -d 'Same as --output json: JSON Lines, one object per line'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand completions" -s y -l yes -d 'Answer yes to confirmations (needed when stdin is not a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand completions" -s q -l quiet -d 'Print no messages on stderr, only data and errors'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand completions" -s h -l help -d 'Print help'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and not __fish_seen_subcommand_from init user mfa recovery device policy audit key doctor backup copy notify completions help" -f -a "init" -d 'Create the store and its key file, or migrate an existing store forward'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and not __fish_seen_subcommand_from init user mfa recovery device policy audit key doctor backup copy notify completions help" -f -a "user" -d 'Add, import, find, list, show, lock, unlock, disable and enable users'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and not __fish_seen_subcommand_from init user mfa recovery device policy audit key doctor backup copy notify completions help" -f -a "mfa" -d 'Enroll, confirm, verify, reset and exempt users\' TOTP'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and not __fish_seen_subcommand_from init user mfa recovery device policy audit key doctor backup copy notify completions help" -f -a "recovery" -d 'Recovery codes: status, check (consumes), regenerate'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and not __fish_seen_subcommand_from init user mfa recovery device policy audit key doctor backup copy notify completions help" -f -a "device" -d 'Remembered devices: list, check, revoke'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and not __fish_seen_subcommand_from init user mfa recovery device policy audit key doctor backup copy notify completions help" -f -a "policy" -d 'Organisation-wide MFA policy'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and not __fish_seen_subcommand_from init user mfa recovery device policy audit key doctor backup copy notify completions help" -f -a "audit" -d 'Read the audit trail (newest first), verify its keyed chain, or print its head'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and not __fish_seen_subcommand_from init user mfa recovery device policy audit key doctor backup copy notify completions help" -f -a "key" -d 'Check or rotate the key file that encrypts TOTP secrets'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and not __fish_seen_subcommand_from init user mfa recovery device policy audit key doctor backup copy notify completions help" -f -a "doctor" -d 'Report inconsistencies in the store (exit 1 if anything is wrong)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and not __fish_seen_subcommand_from init user mfa recovery device policy audit key doctor backup copy notify completions help" -f -a "backup" -d 'Write a consistent copy of the store, safe while the application runs'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and not __fish_seen_subcommand_from init user mfa recovery device policy audit key doctor backup copy notify completions help" -f -a "copy" -d 'Copy the whole store into a new SQLite file or an empty PostgreSQL database'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and not __fish_seen_subcommand_from init user mfa recovery device policy audit key doctor backup copy notify completions help" -f -a "notify" -d 'User notifications (factor reset, enrollment, lockout) for the application to deliver'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and not __fish_seen_subcommand_from init user mfa recovery device policy audit key doctor backup copy notify completions help" -f -a "completions" -d 'Print a shell completion script (the script is the output: no --json or --output)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and not __fish_seen_subcommand_from init user mfa recovery device policy audit key doctor backup copy notify completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "add" -d 'Add a user'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "import" -d 'Add users from CSV with header username,name,email (one transaction; - = stdin)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "find" -d 'Case-insensitive search over user name, display name and email (#ID finds by id)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "list" -d 'List users, filtered'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "show" -d 'Everything about one user except secrets'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "edit" -d 'Correct a user\'s display name or email'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "delete" -d 'Delete users with their TOTP credential, recovery codes and devices (confirmed)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "lock" -d 'Lock an account'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "unlock" -d 'Unlock an account and clear its failed-attempt counter'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "disable" -d 'Disable an account: it passes no factor check (exit 6) until enabled'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "enable" -d 'Enable a disabled account again'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from mfa" -f -a "status" -d 'The user\'s MFA state, exemption, recovery codes left, devices and lock'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from mfa" -f -a "enroll" -d 'Create a pending TOTP credential and print its otpauth URI (and a QR code on a terminal)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from mfa" -f -a "confirm" -d 'Activate a pending credential with a valid code; shows the recovery codes once'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from mfa" -f -a "verify" -d 'The login-time check: exit 0 valid, 4 invalid or replayed, 6 locked'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from mfa" -f -a "reset" -d 'Remove users\' TOTP, recovery codes and devices; they enroll again at next login'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from mfa" -f -a "exempt" -d 'Exempt a user from MFA, optionally until a time'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from mfa" -f -a "unexempt" -d 'Remove a user\'s MFA exemption'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from recovery" -f -a "status" -d 'Recovery codes left and issued'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from recovery" -f -a "check" -d 'Verify a recovery code; a valid code is consumed (exit 0 valid, 4 not)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from recovery" -f -a "regenerate" -d 'Replace all recovery codes and show the new ones once'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from device" -f -a "list" -d 'The user\'s remembered devices (never the tokens)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from device" -f -a "check" -d 'Check a device token (exit 0 valid, 4 not)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from device" -f -a "revoke" -d 'Revoke one remembered device, or all of them'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from device" -f -a "prune" -d 'Delete expired remembered devices of every user (they no longer work anyway)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from policy" -f -a "show" -d 'Show every policy setting, or the ones named'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from policy" -f -a "set" -d 'Change one setting (validated)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "verify" -d 'Check the keyed chain; exit 1 naming the first bad row'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "head" -d 'Print the current head (rows, head) to record outside the store'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "check" -d 'Check that every stored secret decrypts with the key file'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "rotate" -d 'Re-encrypt every secret with a new key (old key kept as a 0600 backup)'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from notify" -f -a "list" -d 'Notifications, newest first'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand help; and __fish_seen_subcommand_from notify" -f -a "ack" -d 'Mark notifications delivered'
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from show" -f -a "require_mfa issuer remember_device_days lockout_threshold lockout_minutes recovery_codes totp_skew"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand policy; and __fish_seen_subcommand_from set" -f -a "require_mfa issuer remember_device_days lockout_threshold lockout_minutes recovery_codes totp_skew"
complete -c mfa-admin -n "__fish_mfa_admin_using_subcommand completions" -f -a "bash elvish fish powershell zsh"
