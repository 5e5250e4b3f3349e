// The Challenge API push endpoints (FiberPush.ts) in the operator's /openapi.json: they are served on their own
// listener (FIBER_HOST:FIBER_PORT), not by the API, so each path names that server. Bodies as Effect Schemas,
// the same ones the push tests check real answers against.
import { Schema } from "effect"
import { PushKeyExchange } from "./FiberPush.ts"
import { jsonSchemaOf } from "./schemas.ts"

export const PublicKeyBody = Schema.Struct({ public_key: Schema.String }).annotate({ description: "the validator's RSA-2048 public key (PEM), made at start" })
export const KeyExchangedBody = Schema.Struct({ success: Schema.Literal(true), message: Schema.String })
export const ChallengeAcceptedBody = Schema.Struct({ success: Schema.Literal(true), message: Schema.String, challenge_id: Schema.String }).annotate({
  description: "the challenge is stored; its round starts"
})
export const PushErrorBody = Schema.Struct({ detail: Schema.String }).annotate({ description: "why the push was refused and what to do" })

const json = (schema: Schema.Top, description: string) => ({ description, content: { "application/json": { schema: jsonSchemaOf(schema) } } })
const refused = (description: string) => json(PushErrorBody, description)

const servers = [
  {
    url: "http://{host}:{port}",
    description: "the Fiber push listener (FIBER_HOST:FIBER_PORT), separate from the API so only it can be exposed",
    variables: { host: { default: "127.0.0.1" }, port: { default: "8091" } }
  }
]
const tags = ["push"]

export const FIBER_PUSH_TAG = { name: "push", description: "the Challenge API's push of challenges (own listener, FIBER_PORT)" }

/** A function, not a constant: FiberPush.ts imports Api.ts, which documents these paths (import cycle). */
export const fiberPushPaths = () => ({
  "/fiber/public-key": {
    servers,
    get: {
      summary: "The validator's RSA public key for the key exchange",
      tags,
      operationId: "getFiberPublicKey",
      responses: { "200": json(PublicKeyBody, "the public key") }
    }
  },
  "/fiber/key-exchange": {
    servers,
    post: {
      summary: "Hand over a Fernet key (RSA-OAEP-SHA256), signed (sr25519) by a configured Challenge API hotkey",
      description:
        'The signature is over "{timestamp}.{key_uuid}.{hotkey_ss58}" (timestamp as Python renders the float); the timestamp must be within the replay window and key_uuid never used before. Keys expire an hour after their timestamp.',
      tags,
      operationId: "postFiberKeyExchange",
      requestBody: { required: true, content: { "application/json": { schema: jsonSchemaOf(PushKeyExchange) } } },
      responses: {
        "200": json(KeyExchangedBody, "the key is registered"),
        "400": refused("the key does not decrypt or is not a Fernet key"),
        "401": refused("bad signature, timestamp outside the replay window, or key_uuid replayed"),
        "403": refused("the hotkey is not a configured Challenge API hotkey (CHALLENGE_API_HOTKEYS)"),
        "413": refused("body too large"),
        "422": refused("the body is not a key exchange")
      }
    }
  },
  "/fiber/challenge": {
    servers,
    post: {
      summary: "Push one challenge: the body is the Fernet token of the challenge JSON",
      tags,
      operationId: "postFiberChallenge",
      parameters: [
        { name: "symmetric-key-uuid", in: "header", required: true, schema: { type: "string" as const } },
        { name: "hotkey-ss58-address", in: "header", required: true, schema: { type: "string" as const } }
      ],
      requestBody: { required: true, content: { "text/plain": { schema: { type: "string" as const, description: "Fernet token (base64url)" } } } },
      responses: {
        "201": json(ChallengeAcceptedBody, "stored before this answer"),
        "400": refused("the token decrypts to no valid challenge"),
        "401": refused("unknown or expired key, or the token does not decrypt"),
        "409": refused("a challenge with this id already exists"),
        "413": refused("body too large"),
        "422": refused("a required header is missing"),
        "500": refused("the challenge could not be stored"),
        "503": refused("the validator is paused (POST /set_running)")
      }
    }
  }
})
