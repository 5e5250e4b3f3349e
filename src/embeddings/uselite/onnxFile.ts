// Serializes a Graph to ONNX protobuf bytes (onnx-proto's schema; IR 8, opset 17) and reads one back, so
// tests can compare a built file with another node by node.
import onnxProto from "onnx-proto"
import type { Attr, DType, Graph, Node, Tensor } from "./graph.ts"

const { onnx } = onnxProto

export const IR_VERSION = 8
export const OPSET = 17
export const EMBEDDING_DIM = 512

const DATA_TYPE: Record<DType, number> = { float32: onnx.TensorProto.DataType.FLOAT, int64: onnx.TensorProto.DataType.INT64, int8: onnx.TensorProto.DataType.INT8 }
const ATTR_TYPE = { float: onnx.AttributeProto.AttributeType.FLOAT, int: onnx.AttributeProto.AttributeType.INT, ints: onnx.AttributeProto.AttributeType.INTS }

const bytesOf = (t: Tensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)

const attrProto = (a: Attr): onnxProto.onnx.IAttributeProto =>
  a.kind === "float"
    ? { name: a.name, type: ATTR_TYPE.float, f: a.value }
    : a.kind === "int"
      ? { name: a.name, type: ATTR_TYPE.int, i: a.value }
      : { name: a.name, type: ATTR_TYPE.ints, ints: [...a.value] }

const nodeProto = (n: Node): onnxProto.onnx.INodeProto => ({
  input: [...n.inputs],
  output: [...n.outputs],
  name: n.name,
  opType: n.op,
  attribute: n.attrs.map(attrProto)
})

const dim = (d: string | number): onnxProto.onnx.TensorShapeProto.IDimension => (typeof d === "string" ? { dimParam: d } : { dimValue: d })
const valueInfo = (name: string, elemType: number, dims: ReadonlyArray<string | number>): onnxProto.onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map(dim) } } }
})

export const encodeModel = (graph: Graph, docString: string): Uint8Array => {
  const model: onnxProto.onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: "quorum/embeddings/uselite",
    docString,
    opsetImport: [{ domain: "", version: OPSET }],
    graph: {
      name: "universal_sentence_encoder_lite",
      node: graph.nodes.map(nodeProto),
      initializer: graph.initializers.map((t) => ({ name: t.name, dims: [...t.dims], dataType: DATA_TYPE[t.dtype], rawData: bytesOf(t) })),
      input: [
        valueInfo("input_ids", DATA_TYPE.int64, ["batch", "sequence"]),
        valueInfo("attention_mask", DATA_TYPE.int64, ["batch", "sequence"])
      ],
      output: [valueInfo("sentence_embedding", DATA_TYPE.float32, ["batch", EMBEDDING_DIM])]
    }
  }
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish()
}

/** What a model file holds, in comparable form: nodes with attributes, initializers with their raw bytes. */
export interface DecodedModel {
  readonly opset: number
  readonly nodes: ReadonlyArray<{ op: string; name: string; inputs: string[]; outputs: string[]; attrs: Record<string, number | number[]> }>
  readonly initializers: ReadonlyMap<string, { dims: number[]; dataType: number; raw: Uint8Array }>
  readonly inputs: ReadonlyArray<string>
  readonly outputs: ReadonlyArray<string>
}

const num = (v: number | { toNumber(): number } | null | undefined): number => (v === null || v === undefined ? 0 : typeof v === "number" ? v : v.toNumber())

export const decodeModel = (bytes: Uint8Array): DecodedModel => {
  const m = onnx.ModelProto.decode(bytes)
  const g = m.graph
  if (g === null || g === undefined) throw new Error("ONNX file without a graph")
  const attrValue = (a: onnxProto.onnx.IAttributeProto): number | number[] =>
    a.type === ATTR_TYPE.ints ? (a.ints ?? []).map(num) : a.type === ATTR_TYPE.float ? (a.f ?? 0) : num(a.i)
  return {
    opset: num(m.opsetImport.find((o) => (o.domain ?? "") === "")?.version),
    nodes: (g.node ?? []).map((n) => ({
      op: n.opType ?? "",
      name: n.name ?? "",
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attrs: Object.fromEntries((n.attribute ?? []).map((a) => [a.name ?? "", attrValue(a)]))
    })),
    initializers: new Map(
      (g.initializer ?? []).map((t) => [t.name ?? "", { dims: (t.dims ?? []).map(num), dataType: t.dataType ?? 0, raw: t.rawData ?? new Uint8Array() }])
    ),
    inputs: (g.input ?? []).map((i) => i.name ?? ""),
    outputs: (g.output ?? []).map((o) => o.name ?? "")
  }
}
