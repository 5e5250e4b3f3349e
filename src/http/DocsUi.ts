// The /docs page's assets (Swagger UI from the swagger-ui-dist package), served by the API itself: nothing is
// fetched from a CDN when an operator opens /docs. The files are imported as files, so `bun build --compile`
// embeds them in dist/quorum (the import is then the embedded copy's path under /$bunfs).
import { Elysia } from "elysia"
import swaggerBundle from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" }
import swaggerCss from "swagger-ui-dist/swagger-ui.css" with { type: "file" }

/** Where the page's script and stylesheet are served, relative to /docs (the plugin's page resolves them there). */
export const DOCS_ASSET_DIR = "docs/assets"

export const DOCS_ASSETS = {
  "swagger-ui-bundle.js": { path: swaggerBundle, type: "text/javascript; charset=utf-8" },
  "swagger-ui.css": { path: swaggerCss, type: "text/css; charset=utf-8" }
} as const
export type DocsAsset = keyof typeof DOCS_ASSETS

/** The asset's URL as the /docs page references it (relative, like the spec's "openapi.json"). */
export const docsAssetUrl = (name: DocsAsset) => `${DOCS_ASSET_DIR}/${name}`

/** The embedded (or, from source, node_modules) copies of the assets, read once. */
const bytes = new Map<DocsAsset, Promise<Uint8Array>>()
export const readDocsAsset = (name: DocsAsset): Promise<Uint8Array> => {
  let b = bytes.get(name)
  if (b === undefined) {
    b = Bun.file(DOCS_ASSETS[name].path).bytes()
    bytes.set(name, b)
  }
  return b
}

export const docsAssetRoutes = () => {
  const app = new Elysia({ name: "quorum-docs-assets" })
  for (const name of Object.keys(DOCS_ASSETS) as DocsAsset[]) {
    app.get(
      `/${docsAssetUrl(name)}`,
      async () =>
        new Response(await readDocsAsset(name), {
          headers: { "content-type": DOCS_ASSETS[name].type, "cache-control": "public, max-age=86400" }
        }),
      { detail: { hide: true } }
    )
  }
  return app
}
