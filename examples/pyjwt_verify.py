"""Verifying Tessera access tokens in Python with PyJWT (see the README).

test/recipes.e2e-spec.ts runs this file against the real service when python3 has PyJWT:
    python3 examples/pyjwt_verify.py ISSUER AUDIENCE JWKS_URI ALG TOKEN
prints the claims as JSON, or "refused: <why>" (exit 1).
"""
import json
import sys

import jwt


def tessera_verifier(issuer: str, audience: str, jwks_uri: str, algorithms=("RS256",)):
    jwks = jwt.PyJWKClient(jwks_uri, cache_jwk_set=True, lifespan=300)  # never longer than the JWKS max-age

    def verify(token: str) -> dict:
        # PyJWT does not check typ; the header is verified with the signature just below.
        if str(jwt.get_unverified_header(token).get("typ", "")).lower() not in ("at+jwt", "application/at+jwt"):
            raise jwt.InvalidTokenError("not an access token")
        key = jwks.get_signing_key_from_jwt(token)
        return jwt.decode(token, key.key, algorithms=list(algorithms), issuer=issuer, audience=audience,
                          leeway=5, options={"require": ["exp", "iat", "iss", "aud", "sub", "sid"]})

    return verify


if __name__ == "__main__":
    issuer, audience, jwks_uri, alg, token = sys.argv[1:6]
    try:
        print(json.dumps(tessera_verifier(issuer, audience, jwks_uri, [alg])(token)))
    except Exception as error:  # noqa: BLE001 - the test reads the outcome
        print(f"refused: {type(error).__name__}: {error}")
        sys.exit(1)
