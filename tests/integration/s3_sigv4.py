"""An independent check of AWS Signature Version 4 on an S3 request, for the tests' proxy
(s3_flaky_proxy.py, mode "sigv4"): s3rver does not verify signatures, so this recomputes the
signature of each request from its method, path, query, signed headers and payload hash with the
known secret, as AWS documents it, and says whether the client's matches.

The path and query are taken as sent (S3 does not normalise or double-encode them); query
parameters are sorted by name, a bare name counting as "name=".
"""
import hashlib
import hmac


def _hmac(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _authorization_fields(value):
    algorithm, _, rest = value.partition(" ")
    fields = {}
    for part in rest.split(","):
        name, _, field = part.strip().partition("=")
        fields[name] = field
    return algorithm, fields


def _canonical_query(query):
    pairs = []
    for item in query.split("&") if query else []:
        name, _, value = item.partition("=")
        pairs.append((name, value))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def signature_problem(method, target, headers, secret):
    """None when the request is signed with `secret`, else what is wrong (a short text)."""
    authorization = headers.get("Authorization")
    if not authorization:
        return "no Authorization header"
    algorithm, fields = _authorization_fields(authorization)
    if algorithm != "AWS4-HMAC-SHA256":
        return f"algorithm {algorithm}"
    try:
        _key, date, region, service, terminator = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        given = fields["Signature"]
    except (KeyError, ValueError):
        return "malformed Authorization header"
    path, _, query = target.partition("?")
    canonical_headers = "".join(
        f"{name}:{' '.join((headers.get(name) or '').split())}\n" for name in signed)
    payload = headers.get("x-amz-content-sha256") or "UNSIGNED-PAYLOAD"
    canonical = "\n".join([method, path, _canonical_query(query), canonical_headers,
                           ";".join(signed), payload])
    scope = f"{date}/{region}/{service}/{terminator}"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", headers.get("x-amz-date") or "", scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode(), date), region), service),
                terminator)
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(expected, given) else "signature does not match"
