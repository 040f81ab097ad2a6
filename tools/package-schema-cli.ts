// `npm run package:schema`: writes the component package's inferred schema to component-package/schema.json.
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { inferredSchema, SCHEMA_FILE } from "./package-schema";

inferredSchema().then(
  (schema) => {
    writeFileSync(SCHEMA_FILE, schema);
    console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
  },
  (e: unknown) => {
    console.error(`package:schema: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
