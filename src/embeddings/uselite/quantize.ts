// int8 dynamic quantization of the fp32 graph, the pattern onnxruntime's quantize_dynamic emits:
// DynamicQuantizeLinear(x) → MatMulInteger(x_q, W_q) → Cast → Mul(x_scale · W_scale). Weights are symmetric
// int8 with one scale per output column (scale = max|w| / 127, float32 arithmetic, round half to even).
// Layer-0 attention (qkv, output) and the layer-0 residual projection stay float32: quantizing them lowered
// the minimum cosine to TF.js from 0.978 to 0.927 (maintainers' measurement). The embedding table is int8
// with one scale per row, dequantized after the Gather.
import type { Graph, Node, Tensor } from "./graph.ts"

export const QUANTIZED_WEIGHTS: ReadonlySet<string> = new Set([
  "layer0.ffn.conv1.weight",
  "layer0.ffn.conv2.weight",
  "layer1.attention.qkv.weight",
  "layer1.attention.output.weight",
  "layer1.ffn.conv1.weight",
  "layer1.ffn.conv2.weight",
  "tanh_layer_0.weight"
])

const roundHalfEven = (x: number): number => {
  const r = Math.round(x)
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}

/** Symmetric int8 of `w` ([rows, cols], row-major) with one scale per group: per column (axis 1) or per row (axis 0). */
export const quantizeSymmetric = (w: Float32Array, rows: number, cols: number, axis: 0 | 1) => {
  const groups = axis === 1 ? cols : rows
  const maxAbs = new Float32Array(groups)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const g = axis === 1 ? c : r
      const a = Math.abs(w[r * cols + c] as number)
      if (a > (maxAbs[g] as number)) maxAbs[g] = a
    }
  }
  const scale = new Float32Array(groups)
  for (let g = 0; g < groups; g++) scale[g] = Math.fround((maxAbs[g] as number) / 127)
  const q = new Int8Array(rows * cols)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const s = scale[axis === 1 ? c : r] as number
      const v = s === 0 ? 0 : roundHalfEven(Math.fround((w[r * cols + c] as number) / s))
      q[r * cols + c] = Math.max(-127, Math.min(127, v))
    }
  }
  return { q, scale }
}

const matrix = (t: Tensor) => {
  if (!(t.data instanceof Float32Array) || t.dims.length !== 2) throw new Error(`${t.name}: expected a float32 matrix`)
  return { data: t.data, rows: t.dims[0] as number, cols: t.dims[1] as number }
}

/** The int8 graph derived from the fp32 one (node names and numbering kept). */
export const quantizeGraph = (fp32: Graph): Graph => {
  const byName = new Map(fp32.initializers.map((t) => [t.name, t]))
  const removed = new Set<string>(["embeddings"])
  const added: Array<Tensor> = []
  const nodes: Array<Node> = []
  for (const node of fp32.nodes) {
    const weightName = node.inputs[1]
    if (node.op === "Gather" && node.inputs[0] === "embeddings") {
      const m = matrix(byName.get("embeddings") as Tensor)
      const { q, scale } = quantizeSymmetric(m.data, m.rows, m.cols, 0)
      added.push(
        { name: "embeddings_quantized", dtype: "int8", dims: [m.rows, m.cols], data: q },
        { name: "embeddings_row_scale", dtype: "float32", dims: [m.rows, 1], data: scale }
      )
      const ids = node.inputs[1] as string
      const axis0 = node.attrs
      nodes.push(
        { op: "Gather", name: "emb_gather_q", inputs: ["embeddings_quantized", ids], outputs: ["emb_q_rows"], attrs: axis0 },
        { op: "Gather", name: "emb_gather_s", inputs: ["embeddings_row_scale", ids], outputs: ["emb_row_scales"], attrs: axis0 },
        { op: "Cast", name: "emb_cast", inputs: ["emb_q_rows"], outputs: ["emb_rows_f"], attrs: [{ name: "to", kind: "int", value: 1 }] },
        { op: "Mul", name: "emb_dequant", inputs: ["emb_rows_f", "emb_row_scales"], outputs: node.outputs, attrs: [] }
      )
    } else if (node.op === "MatMul" && weightName !== undefined && QUANTIZED_WEIGHTS.has(weightName)) {
      const m = matrix(byName.get(weightName) as Tensor)
      const { q, scale } = quantizeSymmetric(m.data, m.rows, m.cols, 1)
      removed.add(weightName)
      added.push(
        { name: `${weightName}_quantized`, dtype: "int8", dims: [m.rows, m.cols], data: q },
        { name: `${weightName}_zero_point`, dtype: "int8", dims: [], data: Int8Array.of(0) },
        { name: `${weightName}_scale`, dtype: "float32", dims: [m.cols], data: scale }
      )
      const k = node.name
      nodes.push(
        { op: "DynamicQuantizeLinear", name: `${k}_quant`, inputs: [node.inputs[0] as string], outputs: [`${k}_xq`, `${k}_xs`, `${k}_xzp`], attrs: [] },
        {
          op: "MatMulInteger",
          name: `${k}_MatMulInteger`,
          inputs: [`${k}_xq`, `${weightName}_quantized`, `${k}_xzp`, `${weightName}_zero_point`],
          outputs: [`${k}_mmi`],
          attrs: []
        },
        { op: "Cast", name: `${k}_cast`, inputs: [`${k}_mmi`], outputs: [`${k}_mmf`], attrs: [{ name: "to", kind: "int", value: 1 }] },
        { op: "Mul", name: `${k}_scale_mul`, inputs: [`${k}_xs`, `${weightName}_scale`], outputs: [`${k}_scale`], attrs: [] },
        { op: "Mul", name: `${k}_dequant`, inputs: [`${k}_mmf`, `${k}_scale`], outputs: node.outputs, attrs: [] }
      )
    } else nodes.push(node)
  }
  return { nodes, initializers: [...fp32.initializers.filter((t) => !removed.has(t.name)), ...added] }
}
