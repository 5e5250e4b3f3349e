// The cosine matrix X·Xᵀ of normalized rows on onnxruntime's own GEMM (MLAS): a one-node ONNX graph
// (Gemm with transB = 1) built here as protobuf bytes, run on a CPU session with one intra-op thread.
// MLAS is a tuned SIMD GEMM, which the JS register-tiled kernel (src/scoring/similarity.ts) cannot match;
// see `bun run bench similarity`. Used inside the scoring worker; the JS kernel stays the fallback.
import ort from "onnxruntime-node"

// --- minimal protobuf writer (varint and length-delimited fields only: all this graph needs) ---
const varint = (n: number): Array<number> => {
  const out: Array<number> = []
  let v = n
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80)
    v = Math.floor(v / 128)
  }
  out.push(v)
  return out
}
const fieldVarint = (field: number, n: number) => [...varint(field << 3), ...varint(n)]
const fieldBytes = (field: number, bytes: ReadonlyArray<number>) => [...varint((field << 3) | 2), ...varint(bytes.length), ...bytes]
const fieldString = (field: number, s: string) => fieldBytes(field, [...new TextEncoder().encode(s)])

const FLOAT = 1 // TensorProto.DataType.FLOAT
const ATTR_INT = 2 // AttributeProto.AttributeType.INT

/** ValueInfoProto of a float matrix with symbolic dimensions. */
const matrixInfo = (name: string, rows: string, cols: string) =>
  fieldString(1, name).concat(
    fieldBytes(
      2, // TypeProto
      fieldBytes(
        1, // TypeProto.Tensor
        fieldVarint(1, FLOAT).concat(fieldBytes(2, [...fieldBytes(1, fieldString(2, rows)), ...fieldBytes(1, fieldString(2, cols))]))
      )
    )
  )

/**
 * ModelProto bytes of the Gram matrix of X split into `k` row blocks X0..X(k-1) ([ri, d] each): one Gemm
 * (transB = 1) per block pair i ≤ j, output Si_j = Xi·Xjᵀ. The lower triangle is mirrored by the caller,
 * so k = 4 does 10/16 of a full GEMM's work (numpy's X @ X.T uses syrk, which does half).
 */
export const gramModelBytes = (k: number = 1): Uint8Array => {
  const transB = [...fieldString(1, "transB"), ...fieldVarint(3, 1), ...fieldVarint(20, ATTR_INT)]
  const nodes: Array<number> = []
  const outputs: Array<number> = []
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      const node = [...fieldString(1, `X${i}`), ...fieldString(1, `X${j}`), ...fieldString(2, `S${i}_${j}`), ...fieldString(3, `gram${i}_${j}`), ...fieldString(4, "Gemm"), ...fieldBytes(5, transB)]
      nodes.push(...fieldBytes(1, node))
      outputs.push(...fieldBytes(12, matrixInfo(`S${i}_${j}`, `r${i}`, `r${j}`)))
    }
  }
  const inputs = Array.from({ length: k }, (_, i) => fieldBytes(11, matrixInfo(`X${i}`, `r${i}`, "d"))).flat()
  const graph = [...nodes, ...fieldString(2, "cosine"), ...inputs, ...outputs]
  const opset = [...fieldString(1, ""), ...fieldVarint(2, 13)]
  return Uint8Array.from([...fieldVarint(1, 8), ...fieldString(2, "quorum"), ...fieldBytes(7, graph), ...fieldBytes(8, opset)])
}

export interface OnnxCosine {
  /** n × n cosine matrix of n normalized rows of `dim` (a fresh, transferable buffer). */
  readonly matrix: (data: Float32Array, n: number, dim: number) => Promise<Float32Array<ArrayBuffer>>
  readonly release: () => Promise<void>
}

/** Row blocks by matrix size: one GEMM for small matrices, 2 or 4 blocks (less work, more nodes) for larger ones. */
const blocksFor = (n: number) => (n >= 512 ? 4 : n >= 64 ? 2 : 1)

export const makeOnnxCosine = async (intraOpThreads: number = 1): Promise<OnnxCosine> => {
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: Math.max(1, intraOpThreads),
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    extra: { session: { intra_op: { allow_spinning: "0" } } }
  }
  const sessions = new Map<number, ort.InferenceSession>()
  for (const k of [1, 2, 4]) sessions.set(k, await ort.InferenceSession.create(gramModelBytes(k), options))
  const matrix = async (data: Float32Array, n: number, dim: number): Promise<Float32Array<ArrayBuffer>> => {
    if (data.length < n * dim) throw new RangeError(`cosine: data has ${data.length} floats, need ${n}×${dim}`)
    const out = new Float32Array(new ArrayBuffer(n * n * 4))
    if (n === 0) return out
    const k = blocksFor(n)
    const starts = Array.from({ length: k + 1 }, (_, i) => Math.round((i * n) / k))
    const feeds: Record<string, ort.Tensor> = {}
    for (let i = 0; i < k; i++) {
      feeds[`X${i}`] = new ort.Tensor("float32", data.subarray(starts[i]! * dim, starts[i + 1]! * dim), [starts[i + 1]! - starts[i]!, dim])
    }
    const result = await sessions.get(k)!.run(feeds)
    for (let i = 0; i < k; i++) {
      for (let j = i; j < k; j++) {
        const block = result[`S${i}_${j}`]
        const r0 = starts[i]!
        const c0 = starts[j]!
        const rows = starts[i + 1]! - r0
        const cols = starts[j + 1]! - c0
        if (block === undefined || block.type !== "float32" || block.data.length !== rows * cols) throw new Error(`cosine graph returned no ${rows}×${cols} block S${i}_${j}`)
        const b = block.data as Float32Array
        for (let r = 0; r < rows; r++) out.set(b.subarray(r * cols, (r + 1) * cols), (r0 + r) * n + c0)
        if (i !== j) mirror(b, rows, cols, out, n, c0, r0)
      }
    }
    return out
  }
  return {
    matrix,
    release: async () => {
      for (const s of sessions.values()) await s.release()
    }
  }
}

/** Writes the transpose of the rows × cols block `b` into `out` (n wide) at row r0, column c0, in cache-sized tiles. */
const mirror = (b: Float32Array, rows: number, cols: number, out: Float32Array, n: number, r0: number, c0: number) => {
  const T = 32
  for (let bi = 0; bi < rows; bi += T) {
    for (let bj = 0; bj < cols; bj += T) {
      const iEnd = Math.min(bi + T, rows)
      const jEnd = Math.min(bj + T, cols)
      for (let i = bi; i < iEnd; i++) for (let j = bj; j < jEnd; j++) out[(r0 + j) * n + c0 + i] = b[i * cols + j]!
    }
  }
}
