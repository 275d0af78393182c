"""Make and check tokens with Flask-JWT-Extended itself (Debian's
python3-python-flask-jwt-extended, release 4.4).

    flaskjwt.py encode SECRET SUBJECT TYPE TTL_SECONDS   -> prints a token
    flaskjwt.py check SECRET TOKEN TYPE [NOW]            -> prints "STATUS BODY"
    flaskjwt.py checkmany SECRET TYPE NOW TOKEN...       -> one "STATUS BODY" a token

encode calls create_access_token / create_refresh_token. check sends the
token in an Authorization header to a route guarded by @jwt_required()
(TYPE access) or @jwt_required(refresh=True) (TYPE refresh), so the
library's whole verification runs; the route answers the decoded claims.
With NOW (Unix seconds), PyJWT checks exp, nbf and iat at that time
instead of the real clock, so that a test can check answers to the
second; only the clock PyJWT reads is replaced, none of its checks. Where
the library crashes (PyJWT 2.6 raises TypeError on an iat that is a
string of digits, null, ...) Flask answers 500; check prints that as
500 {"msg": "ExceptionType: message"}.
"""
import json
import sys
from datetime import datetime, timedelta

import jwt.api_jwt
from flask import Flask, jsonify
from flask_jwt_extended import (JWTManager, create_access_token,
                                create_refresh_token, get_jwt, jwt_required)
from werkzeug.exceptions import InternalServerError


def freeze_clock(now):
    """Make PyJWT's _validate_claims read now (Unix seconds) as the time:
    it calls datetime.now(tz=timezone.utc) through its module's global."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.fromtimestamp(now, tz)

    jwt.api_jwt.datetime = Frozen


def make_app(secret):
    app = Flask(__name__)
    app.config["JWT_SECRET_KEY"] = secret
    app.config["JWT_TOKEN_LOCATION"] = ["headers", "query_string"]
    JWTManager(app)

    @app.route("/access")
    @jwt_required()
    def access():
        return jsonify(get_jwt())

    @app.route("/refresh", methods=["POST"])
    @jwt_required(refresh=True)
    def refresh():
        return jsonify(get_jwt())

    @app.errorhandler(InternalServerError)
    def crashed(e):
        orig = e.original_exception or e
        return jsonify(msg="{}: {}".format(type(orig).__name__, orig)), 500

    return app


def check(app, token, typ):
    client = app.test_client()
    headers = {"Authorization": "Bearer " + token}
    resp = client.post("/refresh", headers=headers) if typ == "refresh" else client.get("/access", headers=headers)
    return "{} {}".format(resp.status_code, json.dumps(resp.get_json(), sort_keys=True))


if __name__ == "__main__":
    cmd, secret = sys.argv[1], sys.argv[2]
    app = make_app(secret)
    if cmd == "encode":
        subject, typ, ttl = sys.argv[3], sys.argv[4], timedelta(seconds=int(sys.argv[5]))
        with app.app_context():
            make = create_refresh_token if typ == "refresh" else create_access_token
            print(make(identity=subject, expires_delta=ttl))
    elif cmd == "check":
        token, typ = sys.argv[3], sys.argv[4]
        if len(sys.argv) > 5:
            freeze_clock(int(sys.argv[5]))
        print(check(app, token, typ))
    elif cmd == "checkmany":
        typ = sys.argv[3]
        freeze_clock(int(sys.argv[4]))
        for token in sys.argv[5:]:
            print(check(app, token, typ))
    else:
        sys.exit("unknown command " + cmd)
