// Signed (transaction) extensions derived from the runtime's own metadata, so that one signing setup
// works on subtensor spec 293 and on current 4xx runtimes.
//
// @polkadot/api 16.5.6 knows a fixed table of extension names (CheckNonce, ChargeTransactionPayment,
// CheckMetadataHash, ...). Any other identifier in the runtime's list is treated as carrying no data
// ("no-effect"), which is only right when its type and its implicit (additional-signed) type are empty.
// Subtensor's `ChargeTransactionPaymentWrapper` carries the tip (a Compact<Balance>), so leaving it
// unknown drops a byte and the pool rejects the extrinsic as undecodable / bad signature.
//
// `deriveUserExtensions` is pure: from each extension's identifier, its type id and its implicit type
// id (plus a view of the type table) it builds the `userExtensions` object polkadot.js accepts
// (`{ [identifier]: { extrinsic: {field: type}, payload: {field: type} } }`):
//   - empty type (`()`, a field-less struct, or only empty fields)   → `{}`
//   - a wrapper (single-field structs, named or not) around an extension polkadot.js knows by its
//     type path (e.g. pallet_transaction_payment::ChargeTransactionPayment) → that extension's shape,
//     so the `tip` option reaches it
//   - anything else → one field per named struct field (or one field for the whole value), typed
//     with the runtime's own lookup type (`Lookup<id>`), named `<identifier><Field>` so fields of
//     different extensions never merge; these encode as the type's default (zero) value.
// `extensionInputFromMetadata` reads that input from a decoded Metadata (v14, v15 or v16). It reads
// v14/v15 `additionalSigned` from the original version: @polkadot/types 16.5.6 converts v15 → v16
// with the implicit type id lost (`implict` typo, always 0).
import type { Metadata } from "@polkadot/types"
import { allExtensions } from "@polkadot/types/extrinsic/signedExtensions"

export type ExtTypes = Record<string, string>
export interface ExtInfo {
  readonly extrinsic: ExtTypes
  readonly payload: ExtTypes
}
export type ExtDef = Record<string, ExtInfo>

/** The parts of a scale-info type the derivation needs. */
export type TypeNode =
  | {
    readonly kind: "composite"
    readonly path: ReadonlyArray<string>
    readonly fields: ReadonlyArray<{ readonly name: string | null; readonly type: number }>
  }
  | { readonly kind: "tuple"; readonly path: ReadonlyArray<string>; readonly items: ReadonlyArray<number> }
  /** primitive, compact, variant, sequence, array, bit sequence */
  | { readonly kind: "other"; readonly path: ReadonlyArray<string> }

export interface ExtensionMeta {
  readonly identifier: string
  /** Type id of the data carried in the extrinsic. */
  readonly type: number
  /** Type id of the implicit data included in the signed payload only. */
  readonly additionalSigned: number
}

export interface ExtensionInput {
  /** The runtime's extensions, in order. */
  readonly extensions: ReadonlyArray<ExtensionMeta>
  readonly types: ReadonlyMap<number, TypeNode>
}

export type DerivedVia =
  | { readonly _tag: "Known" }
  | { readonly _tag: "Empty" }
  | { readonly _tag: "WrapsKnown"; readonly inner: string }
  | { readonly _tag: "Generic" }

export interface DerivedExtension {
  readonly identifier: string
  readonly via: DerivedVia
  readonly info?: ExtInfo
}

export interface ExtensionPlan {
  /** Identifiers in runtime order (what `registry.setSignedExtensions` takes). */
  readonly identifiers: ReadonlyArray<string>
  /** Only the identifiers polkadot.js does not know. */
  readonly userExtensions: ExtDef
  readonly extensions: ReadonlyArray<DerivedExtension>
  /** Extensions whose data is encoded as a default value (no source for a real value). */
  readonly warnings: ReadonlyArray<string>
}

export interface DeriveOptions {
  /** Extensions polkadot.js handles itself (defaults to its built-in table). */
  readonly known?: Readonly<Record<string, ExtInfo>>
  /** Type name for a lookup id (defaults to polkadot.js' `Lookup<id>` naming). */
  readonly typeName?: (id: number) => string
}

const lookupName = (id: number): string => `Lookup${id}`

const camel = (s: string): string => {
  const parts = s.split(/[^A-Za-z0-9]+/).filter((p) => p.length > 0)
  return parts
    .map((p, i) => (i === 0 ? p.charAt(0).toLowerCase() + p.slice(1) : p.charAt(0).toUpperCase() + p.slice(1)))
    .join("")
}
const pascal = (s: string): string => {
  const c = camel(s)
  return c.charAt(0).toUpperCase() + c.slice(1)
}

const knownExtensions: Readonly<Record<string, ExtInfo>> = allExtensions

/** Derives polkadot.js `userExtensions` for the extensions it does not know. Pure. */
export const deriveUserExtensions = (input: ExtensionInput, options: DeriveOptions = {}): ExtensionPlan => {
  const known = options.known ?? knownExtensions
  const typeName = options.typeName ?? lookupName
  const node = (id: number): TypeNode | undefined => input.types.get(id)

  const emptyMemo = new Map<number, boolean>()
  const isEmpty = (id: number, seen: ReadonlySet<number> = new Set()): boolean => {
    const memo = emptyMemo.get(id)
    if (memo !== undefined) return memo
    if (seen.has(id)) return false
    const n = node(id)
    const next = new Set(seen).add(id)
    const result = n === undefined
      ? false
      : n.kind === "composite"
      ? n.fields.every((f) => isEmpty(f.type, next))
      : n.kind === "tuple"
      ? n.items.every((t) => isEmpty(t, next))
      : false
    emptyMemo.set(id, result)
    return result
  }

  /** Follows single-field wrappers; returns the first known extension met by type path. */
  const knownInner = (id: number): string | undefined => {
    const seen = new Set<number>()
    let current: number | undefined = id
    while (current !== undefined && !seen.has(current)) {
      seen.add(current)
      const n = node(current)
      if (n === undefined) return undefined
      const last = n.path.at(-1)
      if (last !== undefined && Object.hasOwn(known, last)) return last
      const inner: ReadonlyArray<number> = n.kind === "composite"
        ? n.fields.map((f) => f.type).filter((t) => !isEmpty(t))
        : n.kind === "tuple"
        ? n.items.filter((t) => !isEmpty(t))
        : []
      current = inner.length === 1 ? inner[0] : undefined
    }
    return undefined
  }

  const genericFields = (identifier: string, id: number, suffix: string): ExtTypes => {
    const n = node(id)
    const base = camel(identifier) + suffix
    if (n !== undefined && n.kind === "composite" && n.fields.length > 0 && n.fields.every((f) => f.name !== null)) {
      const out: ExtTypes = {}
      for (const f of n.fields) {
        if (f.name !== null && !isEmpty(f.type)) out[base + pascal(f.name)] = typeName(f.type)
      }
      return out
    }
    return { [base]: typeName(id) }
  }

  // Field names already used by the expanded extrinsic / payload structs (they are merged into one
  // struct each, so a repeated name would silently drop an extension's bytes).
  const usedExtrinsic = new Set<string>()
  const usedPayload = new Set<string>()
  const claim = (used: Set<string>, fields: ExtTypes): boolean => {
    const names = Object.keys(fields)
    if (names.some((k) => used.has(k))) return false
    for (const k of names) used.add(k)
    return true
  }

  const userExtensions: ExtDef = {}
  const extensions: Array<DerivedExtension> = []
  const warnings: Array<string> = []

  for (const ext of input.extensions) {
    const { identifier } = ext
    const builtIn = Object.hasOwn(known, identifier) ? known[identifier] : undefined
    if (builtIn !== undefined) {
      claim(usedExtrinsic, builtIn.extrinsic)
      claim(usedPayload, builtIn.payload)
      extensions.push({ identifier, via: { _tag: "Known" } })
      continue
    }
    const typeEmpty = isEmpty(ext.type)
    const implicitEmpty = isEmpty(ext.additionalSigned)
    if (typeEmpty && implicitEmpty) {
      const info: ExtInfo = { extrinsic: {}, payload: {} }
      userExtensions[identifier] = info
      extensions.push({ identifier, via: { _tag: "Empty" }, info })
      continue
    }
    const inner = knownInner(ext.type)
    const innerInfo = inner === undefined ? undefined : known[inner]
    let via: DerivedVia = { _tag: "Generic" }
    let extrinsic: ExtTypes
    let payload: ExtTypes
    if (innerInfo !== undefined && inner !== undefined) {
      const wantPayload = implicitEmpty ? {} : innerInfo.payload
      const fitsPayload = implicitEmpty || Object.keys(innerInfo.payload).length > 0
      if (fitsPayload && claim(usedExtrinsic, typeEmpty ? {} : innerInfo.extrinsic) && claim(usedPayload, wantPayload)) {
        via = { _tag: "WrapsKnown", inner }
        extrinsic = typeEmpty ? {} : { ...innerInfo.extrinsic }
        payload = { ...wantPayload }
      } else {
        extrinsic = typeEmpty ? {} : genericFields(identifier, ext.type, "")
        payload = implicitEmpty ? {} : genericFields(identifier, ext.additionalSigned, "Implicit")
        claim(usedExtrinsic, extrinsic)
        claim(usedPayload, payload)
      }
    } else {
      extrinsic = typeEmpty ? {} : genericFields(identifier, ext.type, "")
      payload = implicitEmpty ? {} : genericFields(identifier, ext.additionalSigned, "Implicit")
      claim(usedExtrinsic, extrinsic)
      claim(usedPayload, payload)
    }
    if (via._tag === "Generic") {
      warnings.push(
        `extension ${identifier} carries data polkadot.js cannot fill (${
          [!typeEmpty ? "extrinsic" : "", !implicitEmpty ? "implicit" : ""].filter((s) => s.length > 0).join(" + ")
        }); it is encoded as its default value`
      )
    }
    const info: ExtInfo = { extrinsic, payload }
    userExtensions[identifier] = info
    extensions.push({ identifier, via, info })
  }

  return { identifiers: input.extensions.map((e) => e.identifier), userExtensions, extensions, warnings }
}

// ---------------------------------------------------------------------------------------------
// Reading the input from decoded metadata

interface SiField {
  readonly name: { readonly isSome: boolean; unwrap(): { toString(): string } }
  readonly type: { toNumber(): number }
}
interface SiType {
  readonly path: ReadonlyArray<{ toString(): string }>
  readonly def: {
    readonly isComposite: boolean
    readonly asComposite: { readonly fields: ReadonlyArray<SiField> }
    readonly isTuple: boolean
    readonly asTuple: ReadonlyArray<{ toNumber(): number }>
  }
}
interface SiLookup {
  readonly types: ReadonlyArray<{ readonly id: { toNumber(): number }; readonly type: SiType }>
}
interface ExtMeta {
  readonly identifier: { toString(): string }
  readonly type: { toNumber(): number }
}

const toNode = (t: SiType): TypeNode => {
  const path = t.path.map((p) => p.toString())
  if (t.def.isComposite) {
    return {
      kind: "composite",
      path,
      fields: t.def.asComposite.fields.map((f) => ({
        name: f.name.isSome ? f.name.unwrap().toString() : null,
        type: f.type.toNumber()
      }))
    }
  }
  if (t.def.isTuple) return { kind: "tuple", path, items: t.def.asTuple.map((i) => i.toNumber()) }
  return { kind: "other", path }
}

const collectTypes = (lookup: SiLookup, roots: ReadonlyArray<number>): Map<number, TypeNode> => {
  const byId = new Map<number, SiType>()
  for (const entry of lookup.types) byId.set(entry.id.toNumber(), entry.type)
  const out = new Map<number, TypeNode>()
  const stack = [...roots]
  while (stack.length > 0) {
    const id = stack.pop()
    if (id === undefined || out.has(id)) continue
    const t = byId.get(id)
    if (t === undefined) continue
    const n = toNode(t)
    out.set(id, n)
    if (n.kind === "composite") for (const f of n.fields) stack.push(f.type)
    if (n.kind === "tuple") stack.push(...n.items)
  }
  return out
}

/** The extension list with type ids, read from metadata v14, v15 or v16. */
export const extensionInputFromMetadata = (metadata: Metadata): ExtensionInput => {
  let list: ReadonlyArray<ExtensionMeta>
  let lookup: SiLookup
  switch (metadata.version) {
    case 14:
    case 15: {
      const m = metadata.version === 14 ? metadata.asV14 : metadata.asV15
      lookup = m.lookup as unknown as SiLookup
      list = m.extrinsic.signedExtensions.map((e) => ({
        identifier: (e as ExtMeta).identifier.toString(),
        type: e.type.toNumber(),
        additionalSigned: e.additionalSigned.toNumber()
      }))
      break
    }
    default: {
      const m = metadata.asLatest
      lookup = m.lookup as unknown as SiLookup
      list = m.extrinsic.transactionExtensions.map((e) => ({
        identifier: e.identifier.toString(),
        type: e.type.toNumber(),
        additionalSigned: e.implicit.toNumber()
      }))
    }
  }
  const roots = list.flatMap((e) => [e.type, e.additionalSigned])
  return { extensions: list, types: collectTypes(lookup, roots) }
}

/** Derives the plan straight from decoded metadata (types named `Lookup<id>` in that metadata). */
export const deriveFromMetadata = (metadata: Metadata, options: DeriveOptions = {}): ExtensionPlan =>
  deriveUserExtensions(extensionInputFromMetadata(metadata), options)
