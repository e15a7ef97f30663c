#!/usr/bin/python3
"""A ready-to-run encrypted exchange with payoutd, as an integrator writes it:
registers a CORPORATE seller and schedules a payout to it, sealing each body
with the security key (JWE dir + A256GCM via Debian's python3-jwcrypto) and
opening each sealed answer.

    PAYOUT_SECRET_KEY=test_sk_... PAYOUT_SECURITY_KEY=<64 hex> \\
        /usr/bin/python3 scripts/example-payout.py [http://127.0.0.1:8080]
"""
import base64
import datetime
import json
import os
import sys
import urllib.error
import urllib.request
import uuid

from jwcrypto import jwe, jwk
from jwcrypto.common import json_encode

BASE = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PAYOUT_BASE_URL", "http://127.0.0.1:8080")
SECRET = os.environ["PAYOUT_SECRET_KEY"]
KEY = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(bytes.fromhex(os.environ["PAYOUT_SECURITY_KEY"]))
              .rstrip(b"=").decode())
KST = datetime.timezone(datetime.timedelta(hours=9))


def seal(obj):
    header = {"alg": "dir", "enc": "A256GCM", "iat": datetime.datetime.now(KST).replace(microsecond=0).isoformat(),
              "nonce": str(uuid.uuid4())}
    token = jwe.JWE(json.dumps(obj, ensure_ascii=False).encode(), protected=json_encode(header))
    token.add_recipient(KEY)
    return token.serialize(compact=True)


def call(method, path, body=None):
    headers = {"Authorization": "Basic " + base64.b64encode((SECRET + ":").encode()).decode(),
               "TossPayments-api-security-mode": "ENCRYPTION"}
    data = None
    if body is not None:
        data = seal(body).encode()
        headers["Content-Type"] = "text/plain"
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req) as r:
            status, ctype, raw = r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        status, ctype, raw = e.code, e.headers.get("Content-Type", ""), e.read()
    if ctype.startswith("text/plain"):  # sealed: open it with the same key
        token = jwe.JWE()
        token.deserialize(raw.decode(), key=KEY)
        raw = token.payload
    return status, json.loads(raw)


status, seller = call("POST", "/v2/sellers", {
    "refSellerId": "example-" + uuid.uuid4().hex[:8], "businessType": "CORPORATE",
    "company": {"name": "테스트 상호", "representativeName": "김토스", "businessRegistrationNumber": "1234567890",
                "email": "toss@sample.com", "phone": "01012345678"},
    "account": {"bankCode": "092", "accountNumber": "12345678990123", "holderName": "김토스"}})
print(status, json.dumps(seller, ensure_ascii=False, indent=2))
if status != 200:
    sys.exit(1)

day = datetime.datetime.now(KST).date()
for _ in range(14):  # the next business day the server accepts
    day += datetime.timedelta(days=1)
    status, payout = call("POST", "/v2/payouts", [{
        "refPayoutId": "example-" + uuid.uuid4().hex[:8], "destination": seller["entityBody"]["id"],
        "scheduleType": "SCHEDULED", "payoutDate": day.isoformat(),
        "amount": {"currency": "KRW", "value": 5000}, "transactionDescription": "예시지급"}])
    if status == 200 or payout["error"]["code"] != "NOT_ALLOWED_HOLIDAY":
        break
print(status, json.dumps(payout, ensure_ascii=False, indent=2))
sys.exit(0 if status == 200 else 1)
