// Python's `str()` of the values a pydantic synapse holds after parsing a JSON body, as the bittensor SDK's
// body hash uses them: `sha3(str(model_dump()[field]))` for each of the synapse's required_hash_fields
// (bittensor/core/synapse.py, Synapse.body_hash). A top-level str field is its own text; containers use
// repr of their items; floats use repr (pyFloatRepr); JSON integers parse as Python int, other numbers
// as float; key order is the order received (JSON.stringify keeps insertion order, so does json.loads).
import { pyFloatRepr } from "./fiber/Handshake.ts"

// str.isprintable(): false for categories Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs, except the ASCII space
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0")

/** Python `repr(str)`: single quotes unless the text has ' and no ", escapes as CPython writes them. */
export const pyStrRepr = (s: string): string => {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = quote
  for (const ch of s) {
    const cp = ch.codePointAt(0)!
    if (ch === quote || ch === "\\") out += "\\" + ch
    else if (ch === "\t") out += "\\t"
    else if (ch === "\n") out += "\\n"
    else if (ch === "\r") out += "\\r"
    else if (cp < 0x20 || cp === 0x7f) out += "\\x" + hex(cp, 2)
    else if (cp < 0x7f) out += ch
    else if (ch !== " " && NON_PRINTABLE.test(ch)) out += cp < 0x100 ? "\\x" + hex(cp, 2) : cp < 0x10000 ? "\\u" + hex(cp, 4) : "\\U" + hex(cp, 8)
    else out += ch
  }
  return out + quote
}

/** A JSON number as Python holds it after json.loads: int when written without fraction/exponent. */
const pyNumberRepr = (x: number): string =>
  Number.isInteger(x) && Math.abs(x) < 1e21 ? (Object.is(x, -0) ? "0" : String(x)) : pyFloatRepr(x)

/** Python `repr()` of a JSON value. */
export const pyRepr = (v: unknown): string => {
  if (v === null || v === undefined) return "None"
  if (v === true) return "True"
  if (v === false) return "False"
  if (typeof v === "number") return pyNumberRepr(v)
  if (typeof v === "string") return pyStrRepr(v)
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`
  if (typeof v === "object") {
    // JSON.stringify drops undefined-valued keys: so does the wire, so does the hash
    const entries = Object.entries(v).filter(([, x]) => x !== undefined)
    return `{${entries.map(([k, x]) => `${pyStrRepr(k)}: ${pyRepr(x)}`).join(", ")}}`
  }
  return pyStrRepr(String(v))
}

/** Python `str()` of a JSON value: a string is its own text, everything else its repr. */
export const pyStr = (v: unknown): string => (typeof v === "string" ? v : pyRepr(v))

/** `str()` of a pydantic `float | None` field (an integral JSON number becomes a float: 1 → "1.0"). */
export const pyStrFloat = (v: number | null | undefined): string => (v === null || v === undefined ? "None" : pyFloatRepr(v))
