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
 * (transB = 1) per block pair i ≤ j (Si_j = Xi·Xjᵀ), so k = 2 does 3/4 and k = 4 does 10/16 of a full GEMM's
 * work (numpy's X @ X.T uses syrk, which does half). The lower blocks are Transposes of the upper ones and
 * Concats assemble the one n × n output S inside onnxruntime: no block copying or mirroring in JS.
 */
export const gramModelBytes = (k: number = 1): Uint8Array => {
  const transB = [...fieldString(1, "transB"), ...fieldVarint(3, 1), ...fieldVarint(20, ATTR_INT)]
  const axis = (a: number) => fieldBytes(5, [...fieldString(1, "axis"), ...fieldVarint(3, a), ...fieldVarint(20, ATTR_INT)])
  const node = (op: string, inputs: ReadonlyArray<string>, output: string, attrs: ReadonlyArray<number> = []) =>
    fieldBytes(1, [...inputs.flatMap((x) => fieldString(1, x)), ...fieldString(2, output), ...fieldString(3, `${op}_${output}`), ...fieldString(4, op), ...attrs])
  const nodes: Array<number> = []
  const block = (i: number, j: number) => (i <= j ? `S${i}_${j}` : `T${i}_${j}`)
  for (let i = 0; i < k; i++) for (let j = i; j < k; j++) nodes.push(...node("Gemm", [`X${i}`, `X${j}`], `S${i}_${j}`, fieldBytes(5, transB)))
  for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) nodes.push(...node("Transpose", [`S${j}_${i}`], `T${i}_${j}`))
  if (k === 1) nodes.push(...node("Identity", ["S0_0"], "S"))
  else {
    for (let i = 0; i < k; i++) nodes.push(...node("Concat", Array.from({ length: k }, (_, j) => block(i, j)), `R${i}`, axis(1)))
    nodes.push(...node("Concat", Array.from({ length: k }, (_, i) => `R${i}`), "S", axis(0)))
  }
  const inputs = Array.from({ length: k }, (_, i) => fieldBytes(11, matrixInfo(`X${i}`, `r${i}`, "d"))).flat()
  const output = fieldBytes(12, matrixInfo("S", "n", "n"))
  const graph = [...nodes, ...fieldString(2, "cosine"), ...inputs, ...output]
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
    if (n === 0) return new Float32Array(new ArrayBuffer(0))
    const k = blocksFor(n)
    const starts = Array.from({ length: k + 1 }, (_, i) => Math.round((i * n) / k))
    const feeds: Record<string, ort.Tensor> = {}
    for (let i = 0; i < k; i++) {
      feeds[`X${i}`] = new ort.Tensor("float32", data.subarray(starts[i]! * dim, starts[i + 1]! * dim), [starts[i + 1]! - starts[i]!, dim])
    }
    const result = await sessions.get(k)!.run(feeds)
    const S = result["S"]
    if (S === undefined || S.type !== "float32" || S.data.length !== n * n) throw new Error(`cosine graph returned no ${n}×${n} matrix`)
    const sim = S.data as Float32Array
    // the binding's output owns its buffer: hand it on as is (transferable), or copy once when it is a view
    if (sim.byteOffset === 0 && sim.buffer instanceof ArrayBuffer && sim.buffer.byteLength === n * n * 4) return sim as Float32Array<ArrayBuffer>
    const out = new Float32Array(new ArrayBuffer(n * n * 4))
    out.set(sim)
    return out
  }
  return {
    matrix,
    release: async () => {
      for (const s of sessions.values()) await s.release()
    }
  }
}
