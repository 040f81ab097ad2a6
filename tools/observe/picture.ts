// `npm run observe -- --svg <dir>`: one SVG per scenario, drawn from what the observer recorded of
// its pod. Vega and Vega-Lite are loaded only here, on first use: the observer without `--svg`, and
// the unit tests of everything else, never pay for them.
import { writeFile } from "node:fs/promises";
import * as path from "node:path";
import type { Seen } from "./observer";
import { type Scene, sceneOf } from "./picture-data";
import { chartSpec } from "./picture-spec";

/** The picture of one scene as SVG text, rendered headless (no browser, no canvas). */
export async function renderSvg(scene: Scene): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
  const view = new vega.View(vega.parse(vegaLite.compile(chartSpec(scene)).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes `<dir>/<scenario>.svg` for each scenario seen; returns the files written. */
export async function writePictures(dir: string, seen: Seen[]): Promise<string[]> {
  const files: string[] = [];
  for (const { scenario, record } of seen) {
    const file = path.join(dir, `${scenario}.svg`);
    await writeFile(file, `${await renderSvg(sceneOf(scenario, record.pod, record.timeline))}\n`);
    files.push(file);
  }
  return files;
}
