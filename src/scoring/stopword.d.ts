// The part of stopword 3.x (MIT, no bundled types) that lexical.ts uses: its English stopword list.
declare module "stopword" {
  export const eng: ReadonlyArray<string>
}
