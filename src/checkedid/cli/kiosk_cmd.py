"""``checkedid kiosk``: run the kiosk service (page + API) on this machine."""

from __future__ import annotations

import argparse

from checkedid.cli.verify_cmd import (
    add_fields_option,
    add_policy_option,
    add_trust_option,
    load_policy,
    read_sign_key,
)
from checkedid.errors import InputError

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "kiosk",
        help="run the kiosk service: the guided page, the HTTP API and card events",
        description=(
            "Serve the kiosk page (open it in Chromium in kiosk mode), the headless API "
            "POST /api/verifications, GET /api/health and the event stream /api/events. "
            "Binds to 127.0.0.1 unless --host says otherwise."
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--reader", metavar="R", help="PC/SC reader name (substring)")
    add_trust_option(p)
    add_policy_option(p)
    add_fields_option(p)
    p.add_argument("--webhook", metavar="URL",
                   help="POST each signed result here (needs --sign-key)")
    p.add_argument("--sign-key", metavar="PEM", help="kiosk private key (ECDSA P-256 or Ed25519)")
    p.add_argument("--key-id", metavar="KID", help="key id in the signed result's header")
    p.add_argument("--audience", metavar="AUD", help="the relying party the signed result is for")
    p.add_argument("--lang", choices=("nl", "en", "de"), default="en", help="language of the page")
    p.set_defaults(func=_kiosk)


def _kiosk(args: argparse.Namespace) -> int:
    import uvicorn

    from checkedid.kiosk import Kiosk, KioskConfig, create_app
    from checkedid.result import validate_fields

    if args.webhook and not args.sign_key:
        raise InputError("--webhook delivers signed results: give the kiosk's key with --sign-key")
    fields = validate_fields([f for f in args.fields.split(",") if f])
    config = KioskConfig(reader=args.reader, trust=args.trust or None, fields=fields,
                         webhook=args.webhook, audience=args.audience, lang=args.lang,
                         key_id=args.key_id,
                         sign_key=read_sign_key(args.sign_key) if args.sign_key else None,
                         policy=load_policy(args))
    uvicorn.run(create_app(Kiosk(config)), host=args.host, port=args.port, log_level="warning",
                access_log=False)
    return 0
