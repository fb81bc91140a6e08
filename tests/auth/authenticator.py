"""A software authenticator for the passkey tests: what a phone's secure element does, in Python.

It holds one EC P-256 key (ES256), answers ``navigator.credentials.create()`` options with an
attestation of format "none" and ``.get()`` options with a signed assertion, each built byte by byte
as the WebAuthn spec lays them out (authenticatorData: rpIdHash, flags, signCount, and for a new
credential the attested credential data with the COSE key). Every part a test wants to get wrong
(origin, challenge, relying party, counter, flags, key) can be overridden.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40  # user present, user verified, attested credential data included
ORIGIN = "http://localhost"  # Flask's test client sends Host: localhost


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.counter = 0
        self.user_handle: str | None = None  # what the relying party gave at registration
        self.aaguid = bytes(16)

    @property
    def id(self) -> str:
        return b64url(self.credential_id)

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        # COSE_Key: kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y
        return cbor2.dumps(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        )

    def _auth_data(self, rp_id: str, flags: int, counter: int, attested: bool) -> bytes:
        data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + counter.to_bytes(4, "big")
        if attested:
            data += self.aaguid + len(self.credential_id).to_bytes(2, "big") + self.credential_id
            data += self.cose_key()
        return data

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False},
            separators=(",", ":"),
        ).encode()

    def create(
        self,
        options: dict,
        *,
        origin: str = ORIGIN,
        challenge: str | None = None,
        rp_id: str | None = None,
        flags: int = UP | UV | AT,
    ) -> dict:
        """The RegistrationResponseJSON for these options (as the PWA sends it)."""
        public_key = options["publicKey"]
        self.user_handle = public_key["user"]["id"]
        client_data = self._client_data("webauthn.create", challenge or public_key["challenge"], origin)
        auth_data = self._auth_data(rp_id or public_key["rp"]["id"], flags, self.counter, attested=True)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        }

    def get(
        self,
        options: dict,
        *,
        origin: str = ORIGIN,
        challenge: str | None = None,
        rp_id: str | None = None,
        counter: int | None = None,
        flags: int = UP | UV,
        signing_key=None,
        user_handle: str | None = "mine",
    ) -> dict:
        """The AuthenticationResponseJSON for these options; the counter goes up by one unless given."""
        public_key = options["publicKey"]
        if counter is None:
            self.counter += 1
            counter = self.counter
        client_data = self._client_data("webauthn.get", challenge or public_key["challenge"], origin)
        auth_data = self._auth_data(rp_id or public_key["rpId"], flags, counter, attested=False)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = (signing_key or self.key).sign(signed, ec.ECDSA(hashes.SHA256()))
        handle = self.user_handle if user_handle == "mine" else user_handle
        response = {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(auth_data),
            "signature": b64url(signature),
        }
        if handle is not None:
            response["userHandle"] = handle
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": response,
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        }
