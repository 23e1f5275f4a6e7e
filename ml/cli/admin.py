"""Command line for admins: `python -m ml users list | add | reset-password | unlock | deactivate |
reactivate` and `python -m ml audit verify`.

For when nobody can sign in, and for scripting. The actor in audit rows is `os:<login>` (whoever can
open the database file). While the app holds the database these refuse with the store's one
sentence (`StoreLockedError`, printed by `ml.cli.commands.main`). Like the rest of the CLI, data goes to stdout
(CSV, or the one-time password alone on its line) and sentences to stderr.
"""
from __future__ import annotations

import argparse
import csv
import sys

from ml.governance import policy
from ml.reports.exports import safe_text


def _open_store() -> None:
    from data import store
    store.init_db()  # migrations only: no model training, no first-admin password printed


def cmd_users(args: argparse.Namespace) -> int:
    from ml.governance import users as user_admin
    _open_store()
    by = user_admin.cli_actor()
    if args.action == "list":
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(["username", "name", "role", "status", "must_change_password", "locked_until", "created"])
        for row in user_admin.listed(deleted=args.deleted):
            out.writerow([safe_text(row["username"]), safe_text(row["name"]), row["role"], row["status"],
                          int(row["must change password"]),
                          row["locked until"] or "", f"{row['created']:%Y-%m-%d %H:%M}"])
        return 0
    name = args.name
    if args.action == "add":
        chosen = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
        if args.password_stdin and not chosen:
            print("No password on standard input: pipe one in, or leave out --password-stdin to get a one-time "
                  "password.", file=sys.stderr)
            return 1
        one_time = user_admin.create(name, args.full_name or name, args.role, by=by, password=chosen,
                                     must_change_password=False)
        if one_time:
            print(f"Added {name} as {args.role}. One-time password (shown once; it must be changed at first "
                  "sign-in):", file=sys.stderr)
            print(one_time)
        else:
            print(f"Added {name} as {args.role} with the password given.", file=sys.stderr)
        from data import users
        if users.active_admins() == 0:
            print("This database has no active admin yet: the next `python -m ml serve` (or `init`) creates one "
                  "and prints its one-time password.", file=sys.stderr)
    elif args.action == "reset-password":
        one_time = user_admin.reset_password(name, by=by)
        print(f"Password of {name} reset; their sessions are ended. One-time password (shown once):",
              file=sys.stderr)
        print(one_time)
    else:
        do = {"unlock": user_admin.unlock, "deactivate": user_admin.deactivate, "reactivate": user_admin.reactivate}
        do[args.action](name, by=by)
        print(f"{name}: {args.action} done.", file=sys.stderr)
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from ml.governance import audit_chain
    _open_store()
    report = audit_chain.verify(args.head)
    print(report.message, file=sys.stderr if not report.ok else sys.stdout)
    return 0 if report.ok else 1


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """The `users` and `audit` commands (one line in `ml.cli.commands.build_parser`)."""
    users = sub.add_parser("users", help="list, add, reset-password, unlock, deactivate, reactivate accounts "
                                         "(audited as os:<your login>)")
    actions = users.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="print username,name,role,status,... as CSV")
    listing.add_argument("--deleted", action="store_true", help="include deleted accounts")
    add = actions.add_parser("add", help="add an account; prints a one-time password unless --password-stdin")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=policy.ROLES)
    add.add_argument("--full-name", default="", help="shown in the app (default: NAME)")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input (it must obey the rules)")
    for action, text in (("reset-password", "a new one-time password (printed); ends the user's sessions"),
                         ("unlock", "lift a sign-in lock now"),
                         ("deactivate", "refuse sign-in and end open sessions"),
                         ("reactivate", "allow sign-in again")):
        one = actions.add_parser(action, help=text)
        one.add_argument("name", metavar="NAME")
    users.set_defaults(func=cmd_users)
    audit = sub.add_parser("audit", help="`audit verify`: check the audit log's hash chain")
    audit_actions = audit.add_subparsers(dest="action", required=True)
    verify = audit_actions.add_parser("verify", help="name the first broken row, if any (exit 1)")
    verify.add_argument("--head", default=None, metavar="HASH",
                        help="the newest hash an earlier check printed: says whether rows after it were removed")
    audit.set_defaults(func=cmd_audit_verify)
    add_api_key_parser(sub)


def cmd_api_key(args: argparse.Namespace) -> int:
    from ml.governance import api_keys
    from ml.governance import users as user_admin
    _open_store()
    by = user_admin.cli_actor()
    if args.action == "create":
        key, secret = api_keys.create(args.user, by=by, name=args.name, expires_days=args.expires,
                                      read_only=args.read_only)
        print(f"API key {key.id} ({key.prefix}) for {key.username} created. The secret below is shown once:",
              file=sys.stderr)
        print(secret)
    elif args.action == "list":
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(["id", "user", "name", "prefix", "read_only", "created", "last_used", "expires", "state"])
        for key in api_keys.listed(args.user, by=by):
            out.writerow([key.id, key.username, key.name, key.prefix, int(key.read_only),
                          f"{key.created_at:%Y-%m-%d %H:%M}", f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "",
                          f"{key.expires_at:%Y-%m-%d %H:%M}" if key.expires_at else "", api_keys.state(key)])
    else:
        key = api_keys.revoke(args.key_id, by=by)
        print(f"API key {key.id} ({key.prefix}) of {key.username} is revoked.", file=sys.stderr)
    return 0


def add_api_key_parser(sub: argparse._SubParsersAction) -> None:
    """`api-key create | list | revoke` (audited as os:<your login>)."""
    keys = sub.add_parser("api-key", help="create, list and revoke API keys (audited as os:<your login>)")
    actions = keys.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="make a key for USER; prints the secret alone on stdout (shown once)")
    create.add_argument("user", metavar="USER")
    create.add_argument("--name", default="", help="what the key is for (shown in lists)")
    create.add_argument("--expires", type=int, metavar="DAYS", help="expire after DAYS days (default: never)")
    create.add_argument("--read-only", action="store_true", help="the key may only read (GET)")
    listing = actions.add_parser("list", help="print id,user,name,prefix,... as CSV (never a secret)")
    listing.add_argument("user", metavar="USER", nargs="?", help="only this user's keys")
    revoke = actions.add_parser("revoke", help="revoke a key by its id, at once")
    revoke.add_argument("key_id", metavar="ID", type=int)
    keys.set_defaults(func=cmd_api_key)
