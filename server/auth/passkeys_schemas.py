from marshmallow import Schema, fields, validate

CLIENTS = ["field", "console"]


class PasskeyOptionsSchema(Schema):
    publicKey = fields.Dict(  # WebAuthn's own name for it
        metadata={
            "description": "PublicKeyCredentialCreationOptions / RequestOptions as JSON (binary values "
            "base64url); decode them and pass to navigator.credentials.create() / .get()"
        }
    )


class PasskeyRegisterOptionsSchema(Schema):
    password = fields.String(
        required=True,
        validate=validate.Length(min=1, max=256),
        metadata={"description": "the user's current password: adding a passkey re-authenticates"},
    )


class PasskeyRegisterSchema(Schema):
    credential = fields.Dict(
        required=True,
        metadata={"description": "the PublicKeyCredential from create(), as JSON (RegistrationResponseJSON)"},
    )
    name = fields.String(
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": "what the person calls it, e.g. the phone's model"},
    )


class PasskeyRenameSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class PasskeySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    backed_up = fields.Boolean(
        metadata={"description": "synced to the person's other devices (a cloud passkey)"}
    )


class PasskeyLoginOptionsSchema(Schema):
    username = fields.String(
        allow_none=True,
        validate=validate.Length(max=64),
        metadata={"description": "optional: only this user's passkeys may answer"},
    )


class PasskeyLoginSchema(Schema):
    credential = fields.Dict(
        required=True,
        metadata={"description": "the PublicKeyCredential from get(), as JSON (AuthenticationResponseJSON)"},
    )
    device_id = fields.UUID(required=True, metadata={"description": "made once by the client and kept"})
    device_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    client = fields.String(load_default="console", validate=validate.OneOf(CLIENTS))
