// Formats every .tf and .hcl file under infrastructure/ with hclwrite, the formatter behind
// `terraform fmt` and `terragrunt hcl fmt`, for machines without those binaries.
// Usage: node infrastructure/scripts/hcl-fmt.ts [--check]
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { format } from "@cdktf/hcl-tools";
import { listHclFiles } from "../test/tree.ts";

const check = process.argv.includes("--check");
const infraDir = path.resolve(import.meta.dirname, "..");
let unformatted = 0;
for (const file of await listHclFiles(infraDir)) {
  const text = await readFile(file, "utf8");
  const formatted = await format(text);
  if (formatted === text) continue;
  unformatted += 1;
  console.log(`${check ? "needs formatting" : "formatted"}: ${path.relative(process.cwd(), file)}`);
  if (!check) await writeFile(file, formatted);
}
process.exitCode = check && unformatted > 0 ? 1 : 0;
