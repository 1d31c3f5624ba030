// Verifying Tessera access tokens in an Express service with jwks-rsa + jsonwebtoken (see the README).
// test/recipes.e2e-spec.ts runs this file against the real service. Use RS256 or ES256 on the issuer
// (JWT_ALG): jsonwebtoken cannot read EdDSA (OKP) keys.
const jwksRsa = require('jwks-rsa');
const jwt = require('jsonwebtoken');

function tesseraVerifier({ issuer, audience, jwksUri, algorithms = ['RS256'] }) {
  const keys = jwksRsa({
    jwksUri,
    cache: true,
    cacheMaxAge: 300_000, // never longer than the issuer's JWKS max-age
    rateLimit: true,
    jwksRequestsPerMinute: 2, // an unknown kid cannot make it hammer the issuer
  });
  const getKey = (header, callback) =>
    keys.getSigningKey(header.kid).then((key) => callback(null, key.getPublicKey()), callback);

  /** Resolves to the claims, or rejects: pins issuer, audience, algorithm and the at+jwt type. */
  return function verify(token) {
    return new Promise((resolve, reject) => {
      jwt.verify(token, getKey, { algorithms, issuer, audience, complete: true, clockTolerance: 5 }, (error, decoded) => {
        if (error) return reject(error);
        // jsonwebtoken does not check typ: without this, an ID token of the same issuer would pass.
        if (!/^(application\/)?at\+jwt$/i.test(String(decoded.header.typ))) return reject(new Error('not an access token'));
        const { sub, sid, exp, roles } = decoded.payload;
        if (!sub || !sid || !exp || !Array.isArray(roles)) return reject(new Error('missing claims'));
        resolve(decoded.payload);
      });
    });
  };
}

/** Express middleware: 401 with an RFC 6750 challenge, else `req.claims`. */
function requireTesseraToken(verify) {
  return (req, res, next) => {
    const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(req.headers.authorization || '');
    if (!match) return res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'unauthorized' });
    verify(match[1]).then(
      (claims) => { req.claims = claims; next(); },
      () => res.status(401).set('WWW-Authenticate', 'Bearer error="invalid_token"').json({ error: 'unauthorized' }),
    );
  };
}

module.exports = { tesseraVerifier, requireTesseraToken };
