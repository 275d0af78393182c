"""Reads a JSON object {"secret": ..., "tokens": [...]} on stdin and
prints, for each token, the message with which Flask-JWT-Extended 4.4 and
PyJWT refuse it before its claims are read ("" when they do not): the
unverified decode of header and payload, the unverified header, then the
signature (as Flask-JWT-Extended's _decode_jwt_from_config does)."""
import json
import sys

import jwt
from jwt import api_jws

request = json.load(sys.stdin)
answers = []
for token in request["tokens"]:
    try:
        jwt.decode(token, algorithms=["HS256"], options={"verify_signature": False})
        jwt.get_unverified_header(token)
        api_jws.decode_complete(token, request["secret"], algorithms=["HS256"])
        answers.append("")
    except jwt.InvalidTokenError as e:
        answers.append(str(e))
json.dump(answers, sys.stdout)
