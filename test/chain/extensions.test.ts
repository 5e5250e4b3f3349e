// deriveUserExtensions on synthetic metadata-like input: spec 293's list, a current (4xx) subtensor list
// with ChargeTransactionPaymentWrapper and friends, generic and colliding extensions, cyclic types; plus
// what polkadot.js then encodes (the tip byte that is lost without the derivation).
// The real spec-293 runtime is exercised in connection.test.ts (derived at connect, remark signed).
import { describe, expect, test } from "bun:test"
import { TypeRegistry } from "@polkadot/types"
import { deriveUserExtensions, type ExtensionInput, type ExtensionMeta, type TypeNode } from "../../src/chain/extensions.ts"

const composite = (path: Array<string>, fields: Array<[string | null, number]> = []): TypeNode => ({
  kind: "composite",
  path,
  fields: fields.map(([name, type]) => ({ name, type }))
})
const other = (path: Array<string> = []): TypeNode => ({ kind: "other", path })
const unit: TypeNode = { kind: "tuple", path: [], items: [] }

// A type table shaped like subtensor's (ids are arbitrary but consistent).
const types = new Map<number, TypeNode>([
  [0, unit],
  [1, other()], // [u8; 32]
  [2, composite(["primitive_types", "H256"], [[null, 1]])],
  [8, other()], // u32
  [9, other()], // u8
  [12, other()], // Compact<u64>
  [98, other()], // Compact<u32>
  [504, other(["sp_runtime", "generic", "era", "Era"])],
  [511, other(["frame_metadata_hash_extension", "Mode"])],
  [512, other(["Option"])],
  [499, composite(["frame_system", "extensions", "check_non_zero_sender", "CheckNonZeroSender"])],
  [500, composite(["frame_system", "extensions", "check_spec_version", "CheckSpecVersion"])],
  [501, composite(["frame_system", "extensions", "check_tx_version", "CheckTxVersion"])],
  [502, composite(["frame_system", "extensions", "check_genesis", "CheckGenesis"])],
  [503, composite(["frame_system", "extensions", "check_mortality", "CheckMortality"], [[null, 504]])],
  [505, composite(["node_subtensor_runtime", "check_nonce", "CheckNonce"], [[null, 98]])],
  [506, composite(["frame_system", "extensions", "check_weight", "CheckWeight"])],
  [507, composite(["pallet_transaction_payment", "ChargeTransactionPayment"], [[null, 12]])],
  [508, composite(["pallet_subtensor", "SubtensorTransactionExtension"])],
  [510, composite(["frame_metadata_hash_extension", "CheckMetadataHash"], [["mode", 511]])],
  // current runtimes
  [600, composite(["subtensor_transaction_fee", "ChargeTransactionPaymentWrapper"], [["charge_transaction_payment", 507]])],
  [601, composite(["pallet_sudo", "extension", "SudoTransactionExtension"], [[null, 602]])],
  [602, composite(["core", "marker", "PhantomData"])],
  [603, composite(["pallet_shield", "CheckShieldedTxValidity"])],
  [604, composite(["pallet_drand", "DrandPriority"], [[null, 0]])],
  // generic / odd ones
  [700, composite(["my_pallet", "FooExtension"], [["level", 9], ["marker", 602]])],
  [701, composite(["my_pallet", "Tipper"], [[null, 12]])],
  [800, composite(["loop", "Cyclic"], [[null, 800]])]
])

const ext = (identifier: string, type: number, additionalSigned = 0): ExtensionMeta => ({ identifier, type, additionalSigned })

const spec293: ReadonlyArray<ExtensionMeta> = [
  ext("CheckNonZeroSender", 499),
  ext("CheckSpecVersion", 500, 8),
  ext("CheckTxVersion", 501, 8),
  ext("CheckGenesis", 502, 2),
  ext("CheckMortality", 503, 2),
  ext("CheckNonce", 505),
  ext("CheckWeight", 506),
  ext("ChargeTransactionPayment", 507),
  ext("SubtensorTransactionExtension", 508),
  ext("CheckMetadataHash", 510, 512)
]

const current: ReadonlyArray<ExtensionMeta> = [
  ext("CheckNonZeroSender", 499),
  ext("CheckSpecVersion", 500, 8),
  ext("CheckTxVersion", 501, 8),
  ext("CheckGenesis", 502, 2),
  ext("CheckMortality", 503, 2),
  ext("CheckNonce", 505),
  ext("CheckWeight", 506),
  ext("ChargeTransactionPaymentWrapper", 600),
  ext("SudoTransactionExtension", 601),
  ext("CheckShieldedTxValidity", 603),
  ext("SubtensorTransactionExtension", 508),
  ext("DrandPriority", 604),
  ext("CheckMetadataHash", 510, 512)
]

const input = (extensions: ReadonlyArray<ExtensionMeta>): ExtensionInput => ({ extensions, types })

describe("deriveUserExtensions", () => {
  test("spec 293: only SubtensorTransactionExtension is unknown, and it is empty", () => {
    const plan = deriveUserExtensions(input(spec293))
    expect(plan.identifiers).toEqual(spec293.map((e) => e.identifier))
    expect(plan.userExtensions).toEqual({ SubtensorTransactionExtension: { extrinsic: {}, payload: {} } })
    expect(plan.extensions.filter((e) => e.via._tag === "Known").length).toBe(9)
    expect(plan.warnings).toEqual([])
  })

  test("current runtime: the wrapper carries the tip, the other subtensor extensions are empty", () => {
    const plan = deriveUserExtensions(input(current))
    expect(plan.userExtensions).toEqual({
      ChargeTransactionPaymentWrapper: { extrinsic: { tip: "Compact<Balance>" }, payload: {} },
      SudoTransactionExtension: { extrinsic: {}, payload: {} },
      CheckShieldedTxValidity: { extrinsic: {}, payload: {} },
      SubtensorTransactionExtension: { extrinsic: {}, payload: {} },
      DrandPriority: { extrinsic: {}, payload: {} }
    })
    const wrapper = plan.extensions.find((e) => e.identifier === "ChargeTransactionPaymentWrapper")
    expect(wrapper?.via).toEqual({ _tag: "WrapsKnown", inner: "ChargeTransactionPayment" })
    expect(plan.warnings).toEqual([])
  })

  test("unknown data-carrying extensions get collision-free fields typed by lookup id, and a warning", () => {
    const plan = deriveUserExtensions(input([ext("FooExtension", 700, 8), ext("Tipper", 701)]))
    expect(plan.userExtensions["FooExtension"]).toEqual({
      extrinsic: { fooExtensionLevel: "Lookup9" },
      payload: { fooExtensionImplicit: "Lookup8" }
    })
    expect(plan.userExtensions["Tipper"]).toEqual({ extrinsic: { tipper: "Lookup701" }, payload: {} })
    expect(plan.warnings.length).toBe(2)
    expect(plan.warnings[0]).toContain("FooExtension")
    expect(plan.warnings[0]).toContain("extrinsic + implicit")
  })

  test("a wrapper whose known shape would collide with a present extension falls back to its own fields", () => {
    const plan = deriveUserExtensions(input([ext("ChargeTransactionPayment", 507), ext("ChargeTransactionPaymentWrapper", 600)]))
    expect(plan.userExtensions["ChargeTransactionPaymentWrapper"]).toEqual({
      extrinsic: { chargeTransactionPaymentWrapperChargeTransactionPayment: "Lookup507" },
      payload: {}
    })
    expect(plan.warnings.length).toBe(1)
  })

  test("cyclic and missing types terminate and are treated as data", () => {
    const plan = deriveUserExtensions(input([ext("Cyclic", 800), ext("Missing", 9999)]))
    expect(plan.userExtensions["Cyclic"]).toEqual({ extrinsic: { cyclic: "Lookup800" }, payload: {} })
    expect(plan.userExtensions["Missing"]).toEqual({ extrinsic: { missing: "Lookup9999" }, payload: {} })
  })

  test("typeName option controls the emitted type names", () => {
    const plan = deriveUserExtensions(input([ext("Tipper", 701)]), { typeName: (id) => `T${id}` })
    expect(plan.userExtensions["Tipper"]?.extrinsic).toEqual({ tipper: "T701" })
  })
})

describe("what polkadot.js encodes with the derived extensions", () => {
  const payloadHex = (userExtensions: Record<string, { extrinsic: Record<string, string>; payload: Record<string, string> }> | undefined) => {
    const registry = new TypeRegistry()
    registry.setSignedExtensions(current.map((e) => e.identifier), userExtensions)
    return {
      types: registry.getSignedExtensionTypes() as Record<string, string>,
      hex: registry
        .createType(
          "ExtrinsicPayload",
          {
            method: "0x0000",
            era: "0x00",
            nonce: 1,
            tip: 5,
            specVersion: 293,
            transactionVersion: 1,
            genesisHash: `0x${"11".repeat(32)}`,
            blockHash: `0x${"22".repeat(32)}`,
            mode: 0
          },
          { version: 4 }
        )
        .toHex()
    }
  }
  const hash32 = (b: string) => b.repeat(32)

  test("without the derivation the tip byte is missing; with it the compact tip follows the nonce", () => {
    const origWarn = console.warn
    console.warn = () => undefined // polkadot.js warns about the unknown names in the first case
    const naive = (() => {
      try {
        return payloadHex(undefined)
      } finally {
        console.warn = origWarn
      }
    })()
    const derived = payloadHex(deriveUserExtensions(input(current)).userExtensions)
    // method 0x0000 (length-prefixed: 08 0000), era 00 (immortal), nonce Compact(1) = 04, then...
    expect(naive.types["tip"]).toBeUndefined()
    expect(naive.hex.startsWith("0x080000000400")).toBe(true) // ...mode 00 right after the nonce
    expect(Object.keys(derived.types)).toEqual(["era", "nonce", "tip", "mode"])
    expect(derived.hex.startsWith("0x08000000041400")).toBe(true) // ...tip Compact(5) = 14, then mode 00
    expect(derived.hex as string).toBe(naive.hex.replace("0x0800000004", "0x080000000414"))
    expect(derived.hex.endsWith(`${hash32("11")}${hash32("22")}00`)).toBe(true)
  })
})
