"""The issue token of a return template: what the master issued, bound so that an edited template is told apart.

A template's identity and manifest are plain (very hidden) cells: a body can unhide them and write another body's
code, another period or due date, or more rows. The token is an HMAC, keyed with a secret kept in the master's own
identity sheet (never in a template), over the template id, body, period, due date, plan and the issued row ids.
The merge recomputes it with the master's key: any edit of those values, or a token copied from another template,
no longer matches. Nothing has to be written into the master when templates are issued.

A master made before tipwp kept a key (0.1.0) has none: its key is derived from the master's creation time, which
no template carries, and since the templates it issued before carry no token, a template without one is taken from
such a master as before (unchecked). A master made now has its key, and every template it issued carries a token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Mapping

KEY_FIELD = "issue_key"  # in the master's identity sheet
TOKEN_FIELD = "issue_token"  # in a template's manifest
BOUND = ("template_id", "asb", "period", "due", "plan_id", "plan_version")


def new_key() -> str:
    """A fresh secret for a new master's identity."""
    return secrets.token_hex(32)


def master_key(identity: Mapping[str, str]) -> bytes:
    """The key of a master's templates: its own secret, else one derived from when it was created."""
    secret = identity.get(KEY_FIELD, "")
    if secret:
        return secret.encode()
    return "|".join(("tipwp-issue", identity.get("created", ""), identity.get("plan_id", ""))).encode()


def tokens_required(identity: Mapping[str, str]) -> bool:
    """Whether every template of this master carries a token: true once the master has its own key."""
    return bool(identity.get(KEY_FIELD))


def issue_token(key: bytes, values: Mapping[str, str], row_ids: Iterable[str]) -> str:
    """The token of a template whose manifest holds `values` and the rows `row_ids` (in any order)."""
    message = json.dumps([[field, values.get(field, "")] for field in BOUND] + [sorted(row_ids)])
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def token_matches(key: bytes, values: Mapping[str, str], row_ids: Iterable[str]) -> bool:
    return hmac.compare_digest(values.get(TOKEN_FIELD, ""), issue_token(key, values, row_ids))
