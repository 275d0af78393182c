"""Make and check tokens with Flask-JWT-Extended itself (Debian's
python3-python-flask-jwt-extended, release 4.4).

    flaskjwt.py encode SECRET SUBJECT TYPE TTL_SECONDS   -> prints a token
    flaskjwt.py check SECRET TOKEN TYPE                  -> prints "STATUS BODY"

encode calls create_access_token / create_refresh_token. check sends the
token in an Authorization header to a route guarded by @jwt_required()
(TYPE access) or @jwt_required(refresh=True) (TYPE refresh), so the
library's whole verification runs; the route answers the decoded claims.
"""
import json
import sys
from datetime import timedelta

from flask import Flask, jsonify
from flask_jwt_extended import (JWTManager, create_access_token,
                                create_refresh_token, get_jwt, jwt_required)


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

    return app


if __name__ == "__main__":
    cmd, secret = sys.argv[1], sys.argv[2]
    app = make_app(secret)
    if cmd == "encode":
        subject, typ, ttl = sys.argv[3], sys.argv[4], timedelta(seconds=int(sys.argv[5]))
        with app.app_context():
            make = create_refresh_token if typ == "refresh" else create_access_token
            print(make(identity=subject, expires_delta=ttl))
    else:
        token, typ = sys.argv[3], sys.argv[4]
        client = app.test_client()
        headers = {"Authorization": "Bearer " + token}
        resp = client.post("/refresh", headers=headers) if typ == "refresh" else client.get("/access", headers=headers)
        print(resp.status_code, json.dumps(resp.get_json(), sort_keys=True))
