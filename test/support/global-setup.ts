import { execa } from "execa";

/** The end-to-end tests run the built CLI (what users run), so build it once before any test. */
export default async function setup(): Promise<void> {
  await execa("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
}
