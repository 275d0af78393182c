"""Make and check tokens exactly as Flask-JWT-Extended 4.4 does, with PyJWT.

    flaskjwt.py encode SECRET SUBJECT TYPE TTL_SECONDS   -> prints a token
    flaskjwt.py decode SECRET TOKEN TYPE                 -> prints the claims as JSON

The two functions follow flask_jwt_extended/tokens.py (_encode_jwt,
_decode_jwt) and view_decorators.py (verify_token_type) of release 4.4.
"""
import json
import sys
import uuid
from datetime import datetime, timedelta, timezone

import jwt


def encode(secret, identity, token_type, ttl):
    now = datetime.now(timezone.utc)
    token_data = {
        "fresh": False,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "type": token_type,
        "sub": identity,
        "nbf": now,
        "exp": now + timedelta(seconds=ttl),
    }
    return jwt.encode(token_data, secret, algorithm="HS256")


def decode(secret, token, want_type):
    decoded = jwt.decode(token, secret, algorithms=["HS256"], leeway=0,
                         options={"verify_aud": False})
    if "sub" not in decoded:
        raise ValueError("Missing claim: sub")
    decoded.setdefault("type", "access")
    decoded.setdefault("fresh", False)
    decoded.setdefault("jti", None)
    if want_type == "refresh" and decoded["type"] == "access":
        raise ValueError("Only refresh tokens are allowed")
    if want_type == "access" and decoded["type"] == "refresh":
        raise ValueError("Only non-refresh tokens are allowed")
    return decoded


if __name__ == "__main__":
    cmd, secret = sys.argv[1], sys.argv[2]
    if cmd == "encode":
        print(encode(secret, sys.argv[3], sys.argv[4], int(sys.argv[5])))
    else:
        print(json.dumps(decode(secret, sys.argv[3], sys.argv[4]), sort_keys=True))
