// Bundles the pages' JavaScript and CSS with esbuild into web/static/dist, with hashed names and a
// manifest.json ("app.js" -> "app-HASH.js") that web/assets.py reads. Run by `make web-assets`.
// Each page loads only its entry; code shared between entries is split into chunks.
import { build } from "esbuild";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(here, "../static/dist");

// name -> source; a new page's module is added here
const entries = {
  app: "js/app.js",
  board: "js/board/main.js",
  style: "css/app.css",
};

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
const result = await build({
  absWorkingDir: here,
  entryPoints: entries,
  outdir,
  bundle: true,
  minify: true,
  sourcemap: "linked",
  format: "esm",
  supported: { "top-level-await": true },
  splitting: true,
  target: ["chrome110", "firefox115", "safari16"],
  entryNames: "[name]-[hash]",
  chunkNames: "chunks/[name]-[hash]",
  metafile: true,
  legalComments: "linked",
  logLevel: "warning",
});

const manifest = {};
for (const [output, meta] of Object.entries(result.metafile.outputs)) {
  if (!meta.entryPoint || output.endsWith(".map")) continue;
  // esbuild reports paths relative to absWorkingDir
  const source = path.resolve(here, meta.entryPoint);
  const name = Object.keys(entries).find((key) => path.resolve(here, entries[key]) === source);
  if (!name) continue;
  manifest[`${name}${path.extname(output)}`] = path.relative(outdir, path.resolve(here, output));
}
await writeFile(path.join(outdir, "manifest.json"), JSON.stringify(manifest, null, 2));
console.log(`web assets: ${Object.keys(manifest).length} entries in ${path.relative(process.cwd(), outdir)}`);
