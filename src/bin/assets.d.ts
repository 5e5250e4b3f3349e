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
// The API docs' UI (swagger-ui-dist has no types; these two files are imported as files, not modules)
declare module "swagger-ui-dist/swagger-ui-bundle.js" {
  const path: string
  export default path
}
declare module "swagger-ui-dist/swagger-ui.css" {
  const path: string
  export default path
}
