// Assets imported with `with { type: "file" }` (native library, wasm): the import is the file's path (inside a compiled
// binary, the path of the embedded copy under /$bunfs).
declare module "*.so.1" {
  const path: string
  export default path
}
declare module "*.wasm" {
  const path: string
  export default path
}
