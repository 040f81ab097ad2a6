// The committed schema of the component package is the one the SDK's analyzer infers from the code now.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { inferredSchema, SCHEMA_FILE } from "../../tools/package-schema.ts";

it("is the committed component-package/schema.json (after a change to the components: npm run package:schema)", async () => {
  expect(await inferredSchema()).toBe(readFileSync(SCHEMA_FILE, "utf8"));
}, 120_000); // the analyzer type-checks the package with TypeScript 6
