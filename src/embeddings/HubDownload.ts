// Downloads a model repo from a Hugging Face hub (HF_ENDPOINT): the required files, the optional
// sentence-transformers ones when present, the model file last; each file written to a temp name, then
// renamed, so a cut download never leaves a half file under its real name.
import { mkdirSync, renameSync, rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { MODEL_CANDIDATES } from "./ModelFolder.ts"

/** Files fetched from a hub repo; required ones fail the download when absent. */
const HUB_OPTIONAL = [
  "tokenizer_config.json",
  "special_tokens_map.json",
  "modules.json",
  "sentence_bert_config.json",
  "1_Pooling/config.json"
]

class HttpMissing extends Error {}

const fetchTo = async (url: string, dest: string, timeoutMs: number): Promise<void> => {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow" })
  if (res.status === 404) {
    await res.body?.cancel()
    throw new HttpMissing(`${url}: 404`)
  }
  if (!res.ok) {
    await res.body?.cancel()
    throw new Error(`${url}: HTTP ${res.status}`)
  }
  mkdirSync(dirname(dest), { recursive: true })
  const tmp = `${dest}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`
  try {
    await Bun.write(tmp, res) // streamed to disk; the timeout signal also covers the body
    renameSync(tmp, dest)
  } catch (e) {
    rmSync(tmp, { force: true })
    throw e
  }
}

/** Downloads `repo` into `dest` (each file written to a temp name, then renamed; the model file last). */
export const downloadRepo = async (
  endpoint: string,
  repo: string,
  dest: string,
  timeoutMs: number,
  quantized: boolean
): Promise<void> => {
  const base = `${endpoint.replace(/\/+$/, "")}/${repo}/resolve/main/`
  for (const f of ["config.json", "tokenizer.json"]) await fetchTo(base + f, join(dest, f), timeoutMs)
  for (const f of HUB_OPTIONAL) {
    try {
      await fetchTo(base + f, join(dest, f), timeoutMs)
    } catch (e) {
      if (!(e instanceof HttpMissing)) throw e
    }
  }
  for (const f of MODEL_CANDIDATES(quantized)) {
    try {
      await fetchTo(base + f, join(dest, f), timeoutMs)
      return
    } catch (e) {
      if (!(e instanceof HttpMissing)) throw e
    }
  }
  throw new Error(`${base}: none of ${MODEL_CANDIDATES(quantized).join(", ")} exists`)
}
