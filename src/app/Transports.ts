// The MinerTransport chosen by MINER_PROTOCOL: the bittensor dendrite (axon HTTP) or Loosh Fiber.
import type { AppConfigValues } from "../config/AppConfig.ts"
import { makeDendriteTransport } from "../miners/Dendrite.ts"
import { makeFiberTransport } from "../miners/fiber/FiberTransport.ts"
import type { MinerTransport } from "../miners/Transport.ts"
import type { HotkeySigner } from "../domain/Miner.ts"

export const makeTransport = (
  protocol: AppConfigValues["MINER_PROTOCOL"],
  signer: HotkeySigner,
  options: { readonly requireAuthenticatedFiber?: boolean } = {}
): MinerTransport =>
  protocol === "fiber"
    ? makeFiberTransport({ signer, requireAuthenticated: options.requireAuthenticatedFiber === true })
    : makeDendriteTransport({ signer })
