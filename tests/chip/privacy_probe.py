"""A verification in a clean process that then searches its own memory for personal data.

Run by ``test_privacy.py`` as ``python -m tests.chip.privacy_probe``. It reads from stdin a
JSON request: the reader name, the document photo (PNG, base64), the selfie path and the
needles *shifted* by +1 (see :mod:`tests.memscan`), so this process never holds a needle in
plain form unless the library left it there. It prints a JSON report.
"""

from __future__ import annotations

import base64
import gc
import json
import sys

from tests.memscan import labelled_hits


def main() -> int:
    request = json.loads(sys.stdin.read())
    needles = [bytes.fromhex(h) for h in request["needles"]]
    labels = request["labels"]

    import checkedid
    from checkedid.demo import virtual_trust_store

    trust = virtual_trust_store()

    photo = bytearray(base64.b64decode(request["photo"]))
    with checkedid.Session(trust=trust, reader=request["reader"],
                           isolation=request.get("isolation", "process")) as session:
        result = session.verify(photo, request["selfie"], fields=())
        decision = result.decision.value
        checks = {name: group.verdict.value for name, group in result.checks.items()}
    photo[:] = bytes(len(photo))
    del result, session
    gc.collect()
    report = {
        "decision": decision,
        "checks": checks,
        "hits": labelled_hits(needles, labels),
    }
    sys.stdout.write(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
