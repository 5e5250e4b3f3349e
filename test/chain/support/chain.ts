// The localnet starter lives in src/chain/Localnet.ts (also used by scripts/localnet.ts); this
// re-export keeps the test-side import path.
export { type Localnet, type LocalnetOptions, sharedLocalnet, startLocalnet } from "../../../src/chain/Localnet.ts"
