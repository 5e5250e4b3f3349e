// On-disk exact-text embedding cache of the evaluation (never used by the validator): one append-only file per
// embedding model, records of sha256(text) (32 bytes) + dim float32. A torn last record is ignored on load.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { textKey } from "../embeddings/pipeline.ts"
import { cosineMatrix } from "../scoring/similarity.ts"
import type { RoundEmbeddings, RoundInput } from "../scoring/types.ts"

const DIGEST = 32


export class EmbeddingCache {
  readonly file: string
  private readonly vectors = new Map<string, Float32Array>()
  private pending: Array<{ key: string; vec: Float32Array }> = []

  constructor(dir: string, model: string, readonly dim: number) {
    mkdirSync(dir, { recursive: true })
    this.file = join(dir, `${model.replace(/[^A-Za-z0-9._-]/g, "_")}-d${dim}.bin`)
    if (!existsSync(this.file)) return
    const buf = readFileSync(this.file)
    const size = DIGEST + dim * 4
    for (let off = 0; off + size <= buf.length; off += size) {
      const key = buf.subarray(off, off + DIGEST).toString("hex")
      const vec = new Float32Array(dim)
      new Uint8Array(vec.buffer).set(buf.subarray(off + DIGEST, off + size))
      this.vectors.set(key, vec)
    }
  }

  get size(): number {
    return this.vectors.size
  }

  get(text: string): Float32Array | undefined {
    return this.vectors.get(textKey(text))
  }

  put(text: string, vec: Float32Array): void {
    if (vec.length !== this.dim) throw new RangeError(`cache: vector of ${vec.length} floats, model dim ${this.dim}`)
    const key = textKey(text)
    if (this.vectors.has(key)) return
    const copy = Float32Array.from(vec)
    this.vectors.set(key, copy)
    this.pending.push({ key, vec: copy })
  }

  /** Appends the vectors added since the last flush. */
  flush(): void {
    if (this.pending.length === 0) return
    const size = DIGEST + this.dim * 4
    const out = Buffer.alloc(size * this.pending.length)
    this.pending.forEach(({ key, vec }, k) => {
      out.write(key, k * size, DIGEST, "hex")
      out.set(new Uint8Array(vec.buffer, vec.byteOffset, vec.byteLength), k * size + DIGEST)
    })
    appendFileSync(this.file, out)
    this.pending = []
  }
}

/** Every text of a round that is embedded: the prompt, the answers, the reference. */
export const roundTexts = (input: RoundInput): Array<string> => [input.prompt, ...input.responses.map((r) => r.text), ...(input.reference === null ? [] : [input.reference])]

/** A round's embeddings from vectors by text (every text of `roundTexts(input)` must have one). */
export const roundEmbeddingsOf = (input: RoundInput, vec: (text: string) => Float32Array, dim: number): RoundEmbeddings => {
  const n = input.responses.length
  const responses = new Float32Array(new ArrayBuffer(n * dim * 4))
  input.responses.forEach((r, k) => responses.set(vec(r.text), k * dim))
  return {
    dim,
    prompt: Float32Array.from(vec(input.prompt)),
    responses,
    reference: input.reference === null ? null : Float32Array.from(vec(input.reference)),
    similarity: cosineMatrix(responses, n, dim)
  }
}
