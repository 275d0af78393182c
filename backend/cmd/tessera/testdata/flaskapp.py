"""The Flask tutorial's app (the seed article's final code: Flask-SQLAlchemy
models User and TokenBlocklist, werkzeug password hashes, Flask-JWT-Extended
tokens, a blocklist), run with Debian's Flask 2.2, Flask-SQLAlchemy 3.0,
Flask-JWT-Extended 4.4 and werkzeug 2.2, to make a real database for
`tessera import-flask`.

    flaskapp.py build DATABASE_URI SECRET   -> prints JSON (see below)

build creates the tables (db.create_all()) on DATABASE_URI (sqlite:////PATH,
or postgresql://...?options=-csearch_path%3DSCHEMA through psycopg2) and
fills them through the app's own routes where the app can: POST /register
(werkzeug 2.2's generate_password_hash: pbkdf2:sha256:260000), POST /login,
DELETE /logout (a row of token_blocklist). Users whose hashes this werkzeug
does not make go in through the model: scrypt hashes exactly as werkzeug 3
makes them (hashlib.scrypt with a token_urlsafe salt, 64 bytes, hex),
cheaper pbkdf2 ones, a hash of werkzeug's single-round "sha256" method
(which Tessera refuses), and one with a high id.

It prints {"tokens": {...}, "flask_answers": {...}}: tokens the app's
/login made (those of apple revoked by its /logout, those of grape live),
and the app's own answers to GET /user-data-v2 with grape's access token.
"""
import hashlib
import json
import secrets
import sys
from datetime import datetime, timedelta, timezone

from flask import Flask, jsonify, request
from flask_jwt_extended import (JWTManager, create_access_token,
                                create_refresh_token, current_user, get_jwt,
                                get_jwt_identity, jwt_required)
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func
from werkzeug.security import check_password_hash, generate_password_hash


def make_app(uri, secret):
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=secret,
        JWT_SECRET_KEY=secret,
        JWT_TOKEN_LOCATION=["headers", "query_string"],
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=15),
        JWT_REFRESH_TOKEN_EXPIRES=timedelta(hours=24),
        SQLALCHEMY_DATABASE_URI=uri,
        SQLALCHEMY_TRACK_MODIFICATIONS=False,
    )
    jwt = JWTManager(app)
    db = SQLAlchemy(app)

    class User(db.Model):
        id = db.Column(db.Integer, primary_key=True, autoincrement=True)
        name = db.Column(db.String(), nullable=False)
        password = db.Column(db.String())

        def set_password(self, password):
            self.password = generate_password_hash(password)

        def check_password(self, password):
            return check_password_hash(self.password, password)

    class TokenBlocklist(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        jti = db.Column(db.String(36), nullable=False, index=True)
        type = db.Column(db.String(16), nullable=False)
        created_at = db.Column(db.DateTime, server_default=func.now(), nullable=False)

    def credentials():
        body = json.loads(json.loads(request.get_data().decode("utf-8"))["body"])
        return body["username"], body["password"]

    @app.route("/register", methods=["POST"])
    def register():
        username, password = credentials()
        if password is None or username is None or password == "" or username == "":
            return jsonify({"msg": "password or username has not been entered"}), 400
        if len(password) < 5:
            return jsonify({"msg": "password is too short"}), 400
        if len(username) < 3:
            return jsonify({"msg": "username is too short"}), 400
        if User.query.filter_by(name=username).first() is not None:
            return jsonify({"msg": "The username is already in use"}), 409
        user = User(name=username)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return jsonify("create account")

    @app.route("/login", methods=["POST"])
    def login():
        username, password = credentials()
        user = User.query.filter_by(name=username).first()
        if user is None or not user.check_password(password):
            return jsonify({"msg": "Incorrect password or username"}), 401
        return jsonify(access_token=create_access_token(identity=username),
                       refresh_token=create_refresh_token(identity=username))

    @app.route("/logout", methods=["DELETE"])
    @jwt_required(verify_type=False)
    def logout():
        token = get_jwt()
        db.session.add(TokenBlocklist(jti=token["jti"], type=token["type"], created_at=datetime.now(timezone.utc)))
        db.session.commit()
        return jsonify(msg=f"{token['type'].capitalize()} token successfully revoked")

    @jwt.token_in_blocklist_loader
    def token_block(_jwt_header, jwt_data):
        return TokenBlocklist.query.filter_by(jti=jwt_data["jti"]).first() is not None

    @jwt.user_lookup_loader
    def user_lookup_callback(_jwt_header, jwt_data):
        return User.query.filter_by(name=jwt_data["sub"]).one_or_none()

    @app.route("/user-data", methods=["GET"])
    @jwt_required()
    def user_data():
        return jsonify({"user": get_jwt_identity()})

    @app.route("/user-data-v2", methods=["GET"])
    @jwt_required()
    def user_data_v2():
        return jsonify({"username": current_user.name, "id": current_user.id})

    return app, db, User


def scrypt_hash(password, n=2**15, r=8, p=1):
    """werkzeug 3's generate_password_hash(password) (method "scrypt")."""
    salt = secrets.token_urlsafe(16)
    key = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p)
    return f"scrypt:{n}:{r}:{p}${salt}${key.hex()}"


def envelope(username, password):
    return {"body": json.dumps({"username": username, "password": password})}


def must(resp, status=200):
    if resp.status_code != status:
        sys.exit(f"{resp.request.path}: {resp.status_code} {resp.get_data(as_text=True)}")
    return resp.get_json()


def build(uri, secret):
    app, db, User = make_app(uri, secret)
    client = app.test_client()
    with app.app_context():
        db.create_all()
    # Through the app: werkzeug 2.2's default hash.
    for name, password in [("apple", "mango"), (" cherry", "cherry-pie")]:
        must(client.post("/register", json=envelope(name, password)))
    with app.app_context():
        for user_id, name, password in [
            (3, "banana", scrypt_hash("papaya-papaya")),  # werkzeug 3's default
            (4, "damson", generate_password_hash("plum-plum", method="sha256")),  # single-round, refused
            (5, "elder", generate_password_hash("e" * 100, method="pbkdf2:sha256:1000")),  # over 72 bytes
            (6, "fig", scrypt_hash("figfig", n=1024)),
            (7, "grape", generate_password_hash("grapes", method="pbkdf2:sha256:1000")),
            (10, "kiwi", generate_password_hash("kiwi-kiwi", method="pbkdf2:sha512:1000")),
        ]:
            db.session.add(User(id=user_id, name=name, password=password))
        db.session.commit()
        if uri.startswith("postgresql"):
            db.session.execute(db.text("SELECT setval(pg_get_serial_sequence('\"user\"', 'id'), 10)"))
            db.session.commit()
    if User.__table__.name != "user":
        sys.exit("unexpected table name " + User.__table__.name)
    # apple signs in, then out with both tokens: two rows of the blocklist.
    apple = must(client.post("/login", json=envelope("apple", "mango")))
    for token in (apple["access_token"], apple["refresh_token"]):
        must(client.delete("/logout", headers={"Authorization": "Bearer " + token}))
        must(client.get("/user-data", headers={"Authorization": "Bearer " + token}), 401 if token == apple["access_token"] else 422)
    # grape's tokens stay live.
    grape = must(client.post("/login", json=envelope("grape", "grapes")))
    answer = must(client.get("/user-data-v2", headers={"Authorization": "Bearer " + grape["access_token"]}))
    must(client.post("/login", json=envelope("elder", "e" * 100)))
    print(json.dumps({
        "tokens": {
            "revoked_access": apple["access_token"],
            "revoked_refresh": apple["refresh_token"],
            "live_access": grape["access_token"],
            "live_refresh": grape["refresh_token"],
        },
        "flask_answers": {"user_data_v2": answer},
    }))


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "build":
        sys.exit(__doc__)
    build(sys.argv[2], sys.argv[3])
