// The ONNX graph of USE-lite, written from the TF.js graph's architecture (see PROVENANCE in the built
// folder and ../shared/models/use-lite/PROVENANCE.md): dense right-padded input instead of the sparse batch,
// clip to 128 tokens, token embedding added twice with the precomputed timing signal, two pre-norm
// transformer layers (4 heads × 64, then 4 × 128; layer 0 has a 256→512 residual projection), masked mean
// pooling, tanh dense, L2 normalization. Learned tensors are taken unchanged from the package; node and
// tensor names follow the maintainers' converter so both graphs can be compared node by node.
import type { TfWeight, UseLiteSource } from "./source.ts"

export type DType = "float32" | "int64" | "int8"
export interface Tensor {
  readonly name: string
  readonly dtype: DType
  readonly dims: ReadonlyArray<number>
  readonly data: Float32Array | BigInt64Array | Int8Array
}
export type Attr =
  | { readonly name: string; readonly kind: "int"; readonly value: number }
  | { readonly name: string; readonly kind: "float"; readonly value: number }
  | { readonly name: string; readonly kind: "ints"; readonly value: ReadonlyArray<number> }
export interface Node {
  readonly op: string
  readonly name: string
  readonly inputs: ReadonlyArray<string>
  readonly outputs: ReadonlyArray<string>
  readonly attrs: ReadonlyArray<Attr>
}
export interface Graph {
  readonly nodes: ReadonlyArray<Node>
  readonly initializers: ReadonlyArray<Tensor>
}

export const MAX_TOKENS = 128
const HEADS = 4
const TF = "module_apply_default/Encoder_en/KonaTransformer/Encode"
const STACK = `${TF}/TransformerStack`

class MissingWeight extends Error {}

class Builder {
  readonly nodes: Array<Node> = []
  readonly inits: Array<Tensor> = []
  private readonly known = new Set<string>()
  constructor(private readonly source: UseLiteSource) {}

  /** Adds a node named `<Op>_<n>`; its single output defaults to `<op>_<n>`. */
  node(op: string, inputs: ReadonlyArray<string>, outputs?: ReadonlyArray<string> | string, attrs: ReadonlyArray<Attr> = []): string {
    const n = this.nodes.length + 1
    const outs = outputs === undefined ? [`${op.toLowerCase()}_${n}`] : typeof outputs === "string" ? [outputs] : outputs
    this.nodes.push({ op, name: `${op}_${n}`, inputs, outputs: outs, attrs })
    return outs[0] as string
  }
  /** Registers an initializer once (by name) and returns its name. */
  init(t: Tensor): string {
    if (!this.known.has(t.name)) {
      this.known.add(t.name)
      this.inits.push(t)
    }
    return t.name
  }
  ints(name: string, values: ReadonlyArray<number>, dims: ReadonlyArray<number> = [values.length]): string {
    return this.init({ name, dtype: "int64", dims, data: BigInt64Array.from(values.map((v) => BigInt(v))) })
  }
  scalar(name: string, value: number): string {
    return this.init({ name, dtype: "float32", dims: [], data: Float32Array.of(value) })
  }
  tf(tfName: string): TfWeight {
    const w = this.source.weights.get(tfName)
    if (w === undefined) throw new MissingWeight(`TF.js weight ${tfName} not in model.json`)
    return w
  }
  /** A learned float tensor, reshaped to `dims` (the element count must match: 1×1 conv kernels drop their 1s). */
  weight(name: string, tfName: string, dims?: ReadonlyArray<number>): string {
    const w = this.tf(tfName)
    if (!(w.data instanceof Float32Array)) throw new MissingWeight(`${tfName}: expected float32`)
    const shape = dims ?? w.shape
    if (shape.reduce((a, b) => a * b, 1) !== w.data.length) throw new MissingWeight(`${tfName}: ${w.shape} does not fit ${shape}`)
    return this.init({ name, dtype: "float32", dims: shape, data: w.data })
  }
  tfScalar(tfName: string): number {
    const v = this.tf(tfName).data[0]
    if (v === undefined) throw new MissingWeight(`${tfName}: empty`)
    return v
  }
}

const layerNorm = (b: Builder, x: string, prefix: string, tfPrefix: string, dim: number, eps: number) =>
  b.node(
    "LayerNormalization",
    [
      x,
      b.weight(`${prefix}.scale`, `${tfPrefix}/layer_norm/layer_norm_scale/ConcatPartitions/concat`, [dim]),
      b.weight(`${prefix}.bias`, `${tfPrefix}/layer_norm/layer_norm_bias/ConcatPartitions/concat`, [dim])
    ],
    `${prefix}.out`,
    [
      { name: "axis", kind: "int", value: -1 },
      { name: "epsilon", kind: "float", value: eps }
    ]
  )

/** MatMul by a learned weight, then Add its bias. */
const dense = (b: Builder, x: string, name: string, tfWeight: string, tfBias: string, dims: readonly [number, number]) => {
  const y = b.node("MatMul", [x, b.weight(`${name}.weight`, tfWeight, dims)])
  return b.node("Add", [y, b.weight(`${name}.bias`, tfBias, [dims[1]])])
}

const PERM_HEADS = [0, 2, 1, 3]
const perm = (value: ReadonlyArray<number>): Attr => ({ name: "perm", kind: "ints", value })

const transformerLayer = (b: Builder, l: 0 | 1, x: string, inDim: number, eps: number, attentionBias: string): string => {
  const p = `layer${l}`
  const tfL = `${TF}/Layer_${l}/TransformerLayer`
  const tfS = `${STACK}/Layer_${l}/TransformerLayer`
  const headDim = l === 0 ? 64 : 128
  const width = HEADS * headDim
  const ln = layerNorm(b, x, `${p}.attention_ln`, `${tfL}/layer_prepostprocess`, inDim, eps)
  const qkv = dense(
    b,
    ln,
    `${p}.attention.qkv`,
    `module/Encoder_en/KonaTransformer/Encode/Layer_${l}/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0`,
    `${tfL}/MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`,
    [inDim, 3 * width]
  )
  const [q, k, v] = [`${p}.q`, `${p}.k`, `${p}.v`]
  b.node("Split", [qkv, b.ints(`${p}.split`, [width, width, width])], [q, k, v], [{ name: "axis", kind: "int", value: -1 }])
  const heads = (t: string) =>
    b.node("Transpose", [b.node("Reshape", [t, b.ints(`shape_heads_${HEADS}_${headDim}_${b.nodes.length}`, [0, 0, HEADS, headDim])])], undefined, [perm(PERM_HEADS)])
  const qScaled = b.node("Mul", [heads(q), b.scalar(`${p}.q_scale`, b.tfScalar(`${tfS}/MultiheadAttention/mul/y`))])
  const kT = b.node("Transpose", [heads(k)], undefined, [perm([0, 1, 3, 2])])
  const vh = heads(v)
  const logits = b.node("Add", [b.node("MatMul", [qScaled, kT]), attentionBias])
  const probs = b.node("Softmax", [logits], undefined, [{ name: "axis", kind: "int", value: -1 }])
  const ctx = b.node("Transpose", [b.node("MatMul", [probs, vh])], undefined, [perm(PERM_HEADS)])
  const merged = b.node("Reshape", [ctx, b.ints(`${p}.merge_shape`, [0, 0, width])])
  const attnOut = dense(
    b,
    merged,
    `${p}.attention.output`,
    `module/Encoder_en/KonaTransformer/Encode/Layer_${l}/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0`,
    `${tfL}/MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`,
    [width, 512]
  )
  // layer 0 widens the residual stream 256 → 512 with a dense projection of its input
  const residual =
    l === 0
      ? dense(b, x, `${p}.residual_proj`, `${tfL}/dense/kernel/ConcatPartitions/concat`, `${tfL}/dense/bias/ConcatPartitions/concat`, [inDim, 512])
      : x
  const attnSum = b.node("Add", [attnOut, residual], `${p}.attention_sum`)
  const ffnLn = layerNorm(b, attnSum, `${p}.ffn_ln`, `${tfL}/FFN/layer_prepostprocess`, 512, eps)
  const h = b.node(
    "Relu",
    [dense(b, ffnLn, `${p}.ffn.conv1`, `${tfS}/FFN/conv1/Tensordot/Reshape_1`, `${tfL}/FFN/conv1/bias/ConcatPartitions/concat`, [512, 1536])]
  )
  const ffnOut = dense(b, h, `${p}.ffn.conv2`, `${tfS}/FFN/conv2/Tensordot/Reshape_1`, `${tfL}/FFN/conv2/bias/ConcatPartitions/concat`, [1536, 512])
  return b.node("Add", [ffnOut, attnSum], `${p}.out`)
}

/** timing[p, j] = sin(p · inv[j]) for j < 128, cos(p · inv[j − 128]) after; float32 products as in TF. */
export const timingSignal = (invTimescales: Float32Array, positions: number): Float32Array => {
  const n = invTimescales.length
  const out = new Float32Array(positions * 2 * n)
  for (let p = 0; p < positions; p++) {
    for (let j = 0; j < n; j++) {
      const x = Math.fround(p * (invTimescales[j] as number))
      out[p * 2 * n + j] = Math.sin(x)
      out[p * 2 * n + n + j] = Math.cos(x)
    }
  }
  return out
}

/** The fp32 graph (84 nodes). Throws when the package lacks a tensor the architecture needs. */
export const buildFp32Graph = (source: UseLiteSource): Graph => {
  const b = new Builder(source)
  // constants first, in the maintainers' order
  const c0 = b.ints("c_0", [0])
  const maxLen = b.tfScalar(`module_apply_default/Encoder_en/KonaTransformer/ClipToMaxLength/Less/y`)
  if (maxLen !== MAX_TOKENS) throw new MissingWeight(`ClipToMaxLength is ${maxLen}, expected ${MAX_TOKENS}`)
  const cMax = b.ints("c_maxlen", [maxLen])
  const [c1, c2, axes0, axes1, axesM1] = [b.ints("c_1", [1]), b.ints("c_2", [2]), b.ints("axes_0", [0]), b.ints("axes_1", [1]), b.ints("axes_m1", [-1])]
  const axes12 = b.ints("axes_12", [1, 2])
  const one = b.scalar("c_one_f", 1)
  const attBias = b.scalar("c_attbias", b.tfScalar(`${STACK}/Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y`))
  const l2eps = b.scalar("c_l2eps", b.tfScalar("module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y"))
  const ids = b.node("Slice", ["input_ids", c0, cMax, axes1], "ids_clipped")
  const mask = b.node("Slice", ["attention_mask", c0, cMax, axes1], "mask_clipped")
  const maskF = b.node("Cast", [mask], "mask_f", [{ name: "to", kind: "int", value: 1 }])
  const seqLen = b.node("Slice", [b.node("Shape", [ids], "ids_shape"), c1, c2, axes0], "seq_len")
  const tok = b.node("Gather", [b.weight("embeddings", "module/Embeddings_en"), ids], "tok_emb", [{ name: "axis", kind: "int", value: 0 }])
  const inv = b.tf(`${STACK}/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`).data
  if (!(inv instanceof Float32Array)) throw new MissingWeight("inv_timescales: expected float32")
  const timingAll = b.init({ name: "timing_signal", dtype: "float32", dims: [maxLen, 2 * inv.length], data: timingSignal(inv, maxLen) })
  const timing = b.node("Slice", [timingAll, c0, seqLen, axes0], "timing")
  // as in the original graph: layer-0 input = emb + (emb + timing)
  const layer0In = b.node("Add", [tok, b.node("Add", [tok, timing], "emb_plus_timing")], "layer0_in")
  const bias = b.node("Unsqueeze", [b.node("Mul", [b.node("Sub", [one, maskF]), attBias]), axes12], "attention_bias")
  const eps = b.tfScalar(`${STACK}/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x`)
  const l0 = transformerLayer(b, 0, layer0In, 256, eps, bias)
  const l1 = transformerLayer(b, 1, l0, 512, eps, bias)
  const summed = b.node("ReduceSum", [b.node("Mul", [l1, b.node("Unsqueeze", [maskF, axesM1])]), axes1], undefined, [{ name: "keepdims", kind: "int", value: 0 }])
  const count = b.node("Max", [b.node("ReduceSum", [maskF, axes1], undefined, [{ name: "keepdims", kind: "int", value: 1 }]), one])
  const pooled = b.node("Div", [summed, count], "pooled")
  const tanh = b.node(
    "Tanh",
    [dense(b, pooled, "tanh_layer_0", "module/Encoder_en/hidden_layers/tanh_layer_0/weights", "module/Encoder_en/hidden_layers/tanh_layer_0/bias", [512, 512])],
    "tanh_out"
  )
  const sq = b.node("ReduceSum", [b.node("Mul", [tanh, tanh]), axesM1], undefined, [{ name: "keepdims", kind: "int", value: 1 }])
  b.node("Div", [tanh, b.node("Sqrt", [b.node("Max", [sq, l2eps])])], "sentence_embedding")
  return { nodes: b.nodes, initializers: b.inits }
}
